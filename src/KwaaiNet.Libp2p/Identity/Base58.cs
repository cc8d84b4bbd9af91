// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// Base58btc with the Bitcoin alphabet, the text form of libp2p peer ids
/// (libp2p specs, peer-ids/peer-ids.md §String representation). Each leading zero byte is written
/// as a leading <c>'1'</c>. The conversion is quadratic in the input length, so callers should bound
/// their inputs (peer ids are at most a few dozen characters).
/// </summary>
public static class Base58
{
    private const string Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    /// <summary>Encodes <paramref name="data"/> as base58btc.</summary>
    public static string Encode(ReadOnlySpan<byte> data)
    {
        var zeros = 0;
        while (zeros < data.Length && data[zeros] == 0)
        {
            zeros++;
        }

        // log(256)/log(58) ≈ 1.366: digits needed for the non-zero part, rounded up.
        var capacity = ((data.Length - zeros) * 138 / 100) + 1;
        Span<byte> digits = capacity <= 256 ? stackalloc byte[capacity] : new byte[capacity];
        var length = 0;
        for (var i = zeros; i < data.Length; i++)
        {
            int carry = data[i];
            for (var j = 0; j < length; j++)
            {
                carry += digits[j] << 8;
                digits[j] = (byte)(carry % 58);
                carry /= 58;
            }

            while (carry > 0)
            {
                digits[length++] = (byte)(carry % 58);
                carry /= 58;
            }
        }

        var total = zeros + length;
        Span<char> chars = total <= 512 ? stackalloc char[total] : new char[total];
        chars[..zeros].Fill('1');
        for (var i = 0; i < length; i++)
        {
            // Digits are little-endian; the text is big-endian.
            chars[zeros + i] = Alphabet[digits[length - 1 - i]];
        }

        return new string(chars);
    }

    /// <summary>The most bytes <paramref name="textLength"/> base58 characters can decode to.</summary>
    public static int GetMaxDecodedLength(int textLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(textLength);

        // Every character carries less than one byte of information, and each leading '1' is one byte.
        return textLength;
    }

    /// <summary>
    /// Decodes base58btc <paramref name="text"/> into <paramref name="destination"/>. Returns false when
    /// the text contains a character outside the alphabet or the destination is too small
    /// (<see cref="GetMaxDecodedLength"/> is always enough).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination, out int written)
    {
        written = 0;
        var zeros = 0;
        while (zeros < text.Length && text[zeros] == '1')
        {
            zeros++;
        }

        var capacity = text.Length - zeros;
        Span<byte> bytes = capacity <= 256 ? stackalloc byte[capacity] : new byte[capacity];
        var length = 0;
        for (var i = zeros; i < text.Length; i++)
        {
            var carry = DigitOf(text[i]);
            if (carry < 0)
            {
                return false;
            }

            for (var j = 0; j < length; j++)
            {
                carry += bytes[j] * 58;
                bytes[j] = (byte)carry;
                carry >>= 8;
            }

            while (carry > 0)
            {
                bytes[length++] = (byte)carry;
                carry >>= 8;
            }
        }

        if (destination.Length < zeros + length)
        {
            return false;
        }

        destination[..zeros].Clear();
        for (var i = 0; i < length; i++)
        {
            destination[zeros + i] = bytes[length - 1 - i];
        }

        written = zeros + length;
        return true;
    }

    /// <summary>Decodes base58btc <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The text contains a character outside the base58btc alphabet.</exception>
    public static byte[] Decode(ReadOnlySpan<char> text)
    {
        var buffer = new byte[GetMaxDecodedLength(text.Length)];
        if (!TryDecode(text, buffer, out var written))
        {
            var position = IndexOfInvalidChar(text);
            throw new FormatException(string.Format(
                CultureInfo.InvariantCulture,
                "Invalid base58btc character '{0}' (U+{1:X4}) at position {2}; the alphabet excludes 0, O, I and l.",
                text[position],
                (int)text[position],
                position));
        }

        return buffer.AsSpan(0, written).ToArray();
    }

    /// <summary>Returns the index of the first character outside the alphabet, or -1.</summary>
    internal static int IndexOfInvalidChar(ReadOnlySpan<char> text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (DigitOf(text[i]) < 0)
            {
                return i;
            }
        }

        return -1;
    }

    private static int DigitOf(char c) => c < 128 ? Alphabet.IndexOf(c, StringComparison.Ordinal) : -1;
}
