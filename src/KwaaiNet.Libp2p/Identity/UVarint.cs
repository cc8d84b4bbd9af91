// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// Unsigned LEB128 varints as used by multiformats (multiformats unsigned-varint spec) and by
/// protobuf. Reading is strict: only minimal encodings of at most 9 bytes (63 bits) are accepted,
/// because the spec requires minimal encoding and caps the length so that varints stay canonical.
/// </summary>
public static class UVarint
{
    /// <summary>The largest value an unsigned varint may carry (2^63 - 1; multiformats unsigned-varint §Spec).</summary>
    public const ulong MaxValue = long.MaxValue;

    /// <summary>The longest valid encoding, in bytes.</summary>
    public const int MaxLength = 9;

    /// <summary>Returns how many bytes <paramref name="value"/> takes when encoded.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> exceeds <see cref="MaxValue"/>.</exception>
    public static int GetByteCount(ulong value)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, MaxValue);
        var count = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            count++;
        }

        return count;
    }

    /// <summary>Writes <paramref name="value"/>; returns false (writing nothing) when <paramref name="destination"/> is too small.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> exceeds <see cref="MaxValue"/>.</exception>
    public static bool TryWrite(Span<byte> destination, ulong value, out int written)
    {
        var count = GetByteCount(value);
        if (destination.Length < count)
        {
            written = 0;
            return false;
        }

        for (var i = 0; i < count - 1; i++)
        {
            destination[i] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[count - 1] = (byte)value;
        written = count;
        return true;
    }

    /// <summary>
    /// Reads a varint from the start of <paramref name="source"/>. Returns false when it is truncated,
    /// longer than <see cref="MaxLength"/> bytes, or not minimally encoded.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out ulong value, out int consumed)
    {
        ulong result = 0;
        for (var i = 0; i < source.Length && i < MaxLength; i++)
        {
            var b = source[i];
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                // A final zero byte after other bytes adds nothing: a non-minimal encoding, which the
                // spec forbids because it would give one value two encodings.
                if (b == 0 && i > 0)
                {
                    break;
                }

                value = result;
                consumed = i + 1;
                return true;
            }
        }

        value = 0;
        consumed = 0;
        return false;
    }
}
