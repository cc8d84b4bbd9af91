// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Values;
using static KwaaiNet.Hivemind.Tests.Values.HexVector;

namespace KwaaiNet.Hivemind.Tests.Values;

public sealed class DhtMsgPackWriterTests
{
    [Theory]
    [InlineData(0L, "00")] // positive fixint
    [InlineData(127L, "7f")] // largest positive fixint
    [InlineData(128L, "cc80")] // uint8
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")] // uint16
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")] // uint32
    [InlineData(4294967296L, "cf0000000100000000")] // uint64
    [InlineData(-1L, "ff")] // negative fixint
    [InlineData(-32L, "e0")] // smallest negative fixint
    [InlineData(-33L, "d0df")] // int8
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")] // int16
    [InlineData(-32769L, "d2ffff7fff")] // int32
    [InlineData(-2147483649L, "d3ffffffff7fffffff")] // int64
    public void Write_Int_UsesSmallestFormAsPythonMsgpack(long value, string expected)
    {
        Assert.Equal(expected, Hex(DhtMsgPack.Write(w => w.Write(value))));
    }

    [Fact]
    public void Write_UInt64AboveInt64_UsesUint64()
    {
        Assert.Equal("cfffffffffffffffff", Hex(DhtMsgPack.Write(static w => w.Write(ulong.MaxValue))));
    }

    [Fact]
    public void Write_Scalars_MatchSpec()
    {
        // c0 nil, c2 false, c3 true, cb + IEEE-754 big-endian double (1.0 = 3ff0000000000000), a0 empty fixstr, c400 empty bin.
        var bytes = DhtMsgPack.Write(static w =>
        {
            w.WriteNil();
            w.Write(false);
            w.Write(true);
            w.Write(1.0);
            w.Write(string.Empty);
            w.Write((string?)null);
            w.WriteBin([]);
        });
        Assert.Equal("c0c2c3cb3ff0000000000000a0c0c400", Hex(bytes));
    }

    [Theory]
    [InlineData(31, "bf")] // fixstr holds up to 31 bytes
    [InlineData(32, "d920")] // str8 (use_bin_type=True enables it)
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")] // str16
    [InlineData(65536, "db00010000")] // str32
    public void Write_StrLength_PicksHeader(int length, string expectedHeader)
    {
        var bytes = DhtMsgPack.Write(w => w.Write(new string('x', length)));
        Assert.Equal(expectedHeader, Hex(bytes.AsSpan(0, expectedHeader.Length / 2)));
        Assert.Equal((expectedHeader.Length / 2) + length, bytes.Length);
    }

    [Fact]
    public void Write_NonAsciiStr_CountsUtf8Bytes()
    {
        // "é" is two UTF-8 bytes c3 a9: fixstr a2.
        Assert.Equal("a2c3a9", Hex(DhtMsgPack.Write(static w => w.Write("\u00e9"))));
    }

    [Theory]
    [InlineData(255, "c4ff")] // bin8
    [InlineData(256, "c50100")] // bin16
    [InlineData(65536, "c600010000")] // bin32
    public void WriteBin_Length_PicksHeader(int length, string expectedHeader)
    {
        var bytes = DhtMsgPack.Write(w => w.WriteBin(new byte[length]));
        Assert.Equal(expectedHeader, Hex(bytes.AsSpan(0, expectedHeader.Length / 2)));
        Assert.Equal((expectedHeader.Length / 2) + length, bytes.Length);
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")] // fixarray / fixmap
    [InlineData(16, "dc0010", "de0010")] // array16 / map16
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")] // array32 / map32
    public void WriteHeaders_Count_PicksSmallestForm(int count, string array, string map)
    {
        Assert.Equal(array, Hex(DhtMsgPack.Write(w => w.WriteArrayHeader(count))));
        Assert.Equal(map, Hex(DhtMsgPack.Write(w => w.WriteMapHeader(count))));
    }

    [Theory]
    [InlineData(1, "d4")] // fixext 1
    [InlineData(2, "d5")] // fixext 2
    [InlineData(4, "d6")] // fixext 4
    [InlineData(8, "d7")] // fixext 8
    [InlineData(16, "d8")] // fixext 16
    [InlineData(0, "c700")] // ext8: no fixext for 0
    [InlineData(3, "c703")] // ext8: no fixext for 3
    [InlineData(17, "c711")]
    [InlineData(255, "c7ff")]
    [InlineData(256, "c80100")] // ext16
    [InlineData(65536, "c900010000")] // ext32
    public void WriteExt_PayloadLength_PicksHeaderAsPythonMsgpack(int length, string expectedHeader)
    {
        var bytes = DhtMsgPack.Write(w => w.WriteExt(0x50, new byte[length]));
        var header = Bytes(expectedHeader);
        Assert.Equal(Hex(header), Hex(bytes.AsSpan(0, header.Length)));
        Assert.Equal(0x50, bytes[header.Length]); // the type code follows the length
        Assert.Equal(header.Length + 1 + length, bytes.Length);
    }

    [Fact]
    public void WriteTuple_Empty_IsFixext1OfEmptyArray()
    {
        // Python: MSGPackSerializer.dumps(()) = ExtType(0x40, packb([])) = d4 (fixext 1) 40 (type) 90 (empty array).
        Assert.Equal("d44090", Hex(DhtMsgPack.Write(static w => w.WriteTuple(0, static _ => { }))));
    }

    [Fact]
    public void WriteTuple_Nested_WrapsEachLevel()
    {
        // ((1,),): inner payload 91 01 (2 bytes) -> d5 40 9101; outer payload 91 d5409101 (5 bytes) -> c7 05 40 ...
        var bytes = DhtMsgPack.Write(static w => w.WriteTuple(1, static t => t.WriteTuple(1, static u => u.Write(1))));
        Assert.Equal("c7054091d5409101", Hex(bytes));
    }

    [Fact]
    public void WriteTuple_PetalsServerInfo_MatchesPythonBytes()
    {
        // ServerInfo.to_tuple() = (2, 123.5, {...}) as Petals/KwaaiNet write it.
        var bytes = DhtMsgPack.Write(static w => w.WriteTuple(3, static t =>
        {
            t.Write(2);
            t.Write(123.5);
            t.WriteMapHeader(9);
            t.Write("start_block");
            t.Write(0);
            t.Write("end_block");
            t.Write(4);
            t.Write("public_name");
            t.Write("n/v1");
            t.Write("version");
            t.Write("kwaai-0.6.2");
            t.Write("torch_dtype");
            t.Write("float16");
            t.Write("using_relay");
            t.Write(false);
            t.Write("cache_tokens_left");
            t.Write(100000);
            t.Write("adapters");
            t.WriteTuple(0, static _ => { });
            t.Write("next_pings");
            t.WriteMapHeader(0);
        }));

        var expected = Bytes(
            "c7 99 40", // ext8, payload 0x99 = 153 bytes (1 + 1 + 9 + 142), type 0x40 (tuple)
            "93", // fixarray of 3
            "02", // state = 2 (ONLINE), positive fixint
            "cb 405ee00000000000", // throughput 123.5 = 1.9296875 * 2^6: exponent 1023+6 = 0x405, fraction .1110111b = ee
            "89", // fixmap of 9 fields, 142 bytes with this header
            "ab 73746172745f626c6f636b", "00", // "start_block" (11 bytes: fixstr a0|0b), 0
            "a9 656e645f626c6f636b", "04", // "end_block" (9), 4
            "ab 7075626c69635f6e616d65", "a4 6e2f7631", // "public_name" (11), "n/v1" (4)
            "a7 76657273696f6e", "ab 6b776161692d302e362e32", // "version" (7), "kwaai-0.6.2" (11)
            "ab 746f7263685f6474797065", "a7 666c6f61743136", // "torch_dtype" (11), "float16" (7)
            "ab 7573696e675f72656c6179", "c2", // "using_relay" (11), false
            "b1 63616368655f746f6b656e735f6c656674", "ce 000186a0", // "cache_tokens_left" (17), 100000 > 0xffff: uint32
            "a8 6164617074657273", "d4 40 90", // "adapters" (8), () = fixext1 tuple of an empty array
            "aa 6e6578745f70696e6773", "80"); // "next_pings" (10), {} = empty fixmap
        Assert.Equal(Hex(expected), Hex(bytes));
        Assert.Equal(156, bytes.Length);
    }

    [Fact]
    public void WriteTuple_WrongElementCount_Throws()
    {
        Assert.Throws<InvalidOperationException>(static () => DhtMsgPack.Write(static w => w.WriteTuple(2, static t => t.Write(1))));
        Assert.Throws<InvalidOperationException>(static () => DhtMsgPack.Write(static w => w.WriteTuple(1, static t =>
        {
            t.Write(1);
            t.Write(2);
        })));
    }

    [Fact]
    public void WriteEncoded_OneObject_CopiesIt()
    {
        Assert.Equal("93a3616263c40101c0", Hex(DhtMsgPack.Write(static w =>
        {
            w.WriteArrayHeader(3);
            w.WriteEncoded(DhtMsgPack.Str("abc"));
            w.WriteEncoded(Bytes("c40101"));
            w.WriteEncoded(Bytes("c0"));
        })));
    }

    [Theory]
    [InlineData("")] // nothing
    [InlineData("0102")] // two objects
    [InlineData("a3 6162")] // truncated str
    [InlineData("c1")] // unused format byte
    public void WriteEncoded_NotOneObject_Throws(string hex)
    {
        var bytes = Bytes(hex);
        Assert.Throws<ArgumentException>(() => DhtMsgPack.Write(w => w.WriteEncoded(bytes)));
    }

    [Fact]
    public void WriteEncoded_NestedPastTheBound_ThrowsWithoutOverflowingTheStack()
    {
        // 100,000 one-element arrays around nothing: rejected at depth MaxEncodedDepth + 1, not recursed through.
        var deep = new byte[100_000];
        deep.AsSpan().Fill(0x91);
        Assert.Throws<ArgumentException>(() => DhtMsgPack.Write(w => w.WriteEncoded(deep)));
        Assert.Throws<ArgumentException>(() => DhtDictionaryCodec.Encode([new DhtDictionaryEntry(deep, ReadOnlyMemory<byte>.Empty, 1)], 1));

        // Exactly MaxEncodedDepth levels is accepted.
        var bounded = Bytes(string.Concat(Enumerable.Repeat("91", DhtMsgPackWriter.MaxEncodedDepth - 1)) + "90");
        Assert.Equal(bounded.Length, DhtMsgPack.Write(w => w.WriteEncoded(bounded)).Length);
    }
}
