// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// RFC 4648 base32, lower case, without padding: the multibase <c>'b'</c> encoding that CIDv1 peer ids
/// use (libp2p specs, peer-ids/peer-ids.md §String representation; multibase table entry "base32").
/// </summary>
internal static class Base32Lower
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var total = ((data.Length * 8) + 4) / 5;
        Span<char> chars = total <= 512 ? stackalloc char[total] : new char[total];
        var buffer = 0;
        var bits = 0;
        var n = 0;
        foreach (var b in data)
        {
            buffer = ((buffer << 8) | b) & 0x1FFF;
            bits += 8;
            while (bits >= 5)
            {
                bits -= 5;
                chars[n++] = Alphabet[(buffer >> bits) & 0x1F];
            }
        }

        if (bits > 0)
        {
            chars[n++] = Alphabet[(buffer << (5 - bits)) & 0x1F];
        }

        return new string(chars[..n]);
    }

    /// <summary>
    /// Decodes <paramref name="text"/>. Only canonical input is accepted: lower-case alphabet characters,
    /// no padding, a length that ends on a whole byte, and zero trailing bits, so each byte string has
    /// exactly one text form.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < GetMaxDecodedLength(text.Length))
        {
            return false;
        }

        var buffer = 0;
        var bits = 0;
        var n = 0;
        foreach (var c in text)
        {
            var digit = c < 128 ? Alphabet.IndexOf(c, StringComparison.Ordinal) : -1;
            if (digit < 0)
            {
                return false;
            }

            buffer = ((buffer << 5) | digit) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                bits -= 8;
                destination[n++] = (byte)(buffer >> bits);
            }
        }

        // Five or more leftover bits mean a dangling character; non-zero leftovers are non-canonical.
        if (bits >= 5 || (buffer & ((1 << bits) - 1)) != 0)
        {
            return false;
        }

        written = n;
        return true;
    }

    public static int GetMaxDecodedLength(int textLength) => textLength * 5 / 8;
}
