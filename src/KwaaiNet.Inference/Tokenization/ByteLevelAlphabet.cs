// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// GPT-2's byte-to-character table, in which byte-level BPE vocabularies (GGUF <c>"gpt2"</c>, <c>tokenizer.json</c>)
/// store their tokens: printable Latin-1 bytes stand for themselves, the other 68 bytes map in order to U+0100 and
/// up, so that a space (0x20) is 'Ġ' (U+0120) and a newline (0x0A) is 'Ċ' (U+010A).
/// </summary>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar();
    private static readonly short[] CharToByte = BuildCharToByte();

    /// <summary>The character that stands for <paramref name="value"/>.</summary>
    public static char CharOf(byte value) => ByteToChar[value];

    /// <summary>The byte <paramref name="c"/> stands for, or -1 when it is not in the table.</summary>
    public static int ByteOf(char c) => c < CharToByte.Length ? CharToByte[c] : -1;

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is (>= 0x21 and <= 0x7E) or (>= 0xA1 and <= 0xAC) or >= 0xAE;
            table[b] = printable ? (char)b : (char)(256 + extra++);
        }

        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[256 + 68];
        Array.Fill(table, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            table[ByteToChar[b]] = (short)b;
        }

        return table;
    }
}
