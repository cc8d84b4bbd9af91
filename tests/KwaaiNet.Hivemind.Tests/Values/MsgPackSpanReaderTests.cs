// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Hivemind.Values;
using static KwaaiNet.Hivemind.Tests.Values.HexVector;

namespace KwaaiNet.Hivemind.Tests.Values;

public sealed class MsgPackSpanReaderTests
{
    [Theory]
    [InlineData("05", 5L)]
    [InlineData("ff", -1L)]
    [InlineData("cc ff", 255L)]
    [InlineData("cd 0102", 258L)]
    [InlineData("ce 000186a0", 100_000L)]
    [InlineData("cf 7fffffffffffffff", long.MaxValue)]
    [InlineData("d0 80", -128L)]
    [InlineData("d3 8000000000000000", long.MinValue)]
    public void ReadInteger_EveryIntForm_ReadsTheValue(string hex, long expected)
    {
        var reader = new MsgPackSpanReader(Bytes(hex));

        Assert.Equal(expected, reader.ReadInteger("n"));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("cb 4029000000000000", "is float, expected int")] // 12.5
    [InlineData("cf 8000000000000000", "larger than")] // 2^63
    [InlineData("c3", "is bool, expected int")]
    public void ReadInteger_NotAnInt64_Throws(string hex, string expected)
    {
        var error = Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes(hex)).ReadInteger("n"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadFloat_Float64AndFloat32_ReadAndAnIntIsRefused()
    {
        Assert.Equal(12.5, new MsgPackSpanReader(Bytes("cb 4029000000000000")).ReadFloat("f"));
        Assert.Equal(1.5, new MsgPackSpanReader(Bytes("ca 3fc00000")).ReadFloat("f"));
        Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("0a")).ReadFloat("f"));
    }

    [Fact]
    public void ReadMapHeader_CountBeyondTheInput_Throws()
    {
        Assert.Equal(1, new MsgPackSpanReader(Bytes("81 a161 01")).ReadMapHeader("m"));
        Assert.Equal(0, new MsgPackSpanReader(Bytes("de 0000")).ReadMapHeader("m"));
        var error = Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("df ffffffff 01 02")).ReadMapHeader("m"));
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadStr_ValidUtf8_ReturnsTheBytesAndInvalidIsRefused()
    {
        var reader = new MsgPackSpanReader(Bytes("a3 616263 d9 02 c3a9"));

        Assert.Equal("abc", Encoding.UTF8.GetString(reader.ReadStr("s")));
        Assert.Equal("é", Encoding.UTF8.GetString(reader.ReadStr("s")));
        Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("a2 c328")).ReadStr("s"));
        Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("a5 6162")).ReadStr("s"));
        Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("c4 01 61")).ReadStr("s"));
    }

    [Fact]
    public void ReadBool_TrueFalseAndNotABool()
    {
        var reader = new MsgPackSpanReader(Bytes("c3 c2"));

        Assert.True(reader.ReadBool("b"));
        Assert.False(reader.ReadBool("b"));
        Assert.Throws<DhtValueFormatException>(() => new MsgPackSpanReader(Bytes("01")).ReadBool("b"));
    }
}
