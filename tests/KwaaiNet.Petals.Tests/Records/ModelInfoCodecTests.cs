// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Records;
using static KwaaiNet.Petals.Tests.Records.RecordBytes;

namespace KwaaiNet.Petals.Tests.Records;

public sealed class ModelInfoCodecTests
{
    private const string Repository = "https://huggingface.co/unsloth/Llama-3.1-8B-Instruct";

    /// <summary><c>{"repository": Repository, "num_blocks": 32}</c> as upstream KwaaiNet writes it (docs/records.md §4).</summary>
    private static readonly string UpstreamHex = string.Concat(
        "82", // map of 2
        Str("repository"), Str(Repository),
        Str("num_blocks"), "20"); // 32, positive fixint

    [Fact]
    public void Encode_UpstreamModelInfo_MatchesUpstreamBytes()
    {
        var bytes = ModelInfoCodec.Encode(new ModelInfo(Repository, 32));

        Assert.Equal(UpstreamHex.ToUpperInvariant(), Convert.ToHexString(bytes));
    }

    [Fact]
    public void Decode_UpstreamBytes_ReadsBothFields()
    {
        var info = ModelInfoCodec.Decode(Hex(UpstreamHex));

        Assert.Equal(new ModelInfo(Repository, 32), info);
    }

    [Theory]
    [InlineData(null, 1)]
    [InlineData("https://huggingface.co/meta-llama/Meta-Llama-3.1-8B", 80)]
    [InlineData("", 65_536)]
    public void Encode_ThenDecode_RoundTrips(string? repository, int numBlocks)
    {
        var info = new ModelInfo(repository, numBlocks);

        Assert.Equal(info, ModelInfoCodec.Decode(ModelInfoCodec.Encode(info)));
    }

    [Fact]
    public void Encode_NullRepository_WritesOnlyNumBlocks()
    {
        var bytes = ModelInfoCodec.Encode(new ModelInfo(null, 8));

        Assert.Equal(("81" + Str("num_blocks") + "08").ToUpperInvariant(), Convert.ToHexString(bytes));
    }

    [Fact]
    public void Decode_PetalsToDict_ReadsNumBlocksFirstAndNilRepository()
    {
        // Petals' dataclasses.asdict(ModelInfo(num_blocks=80)): num_blocks first, repository None.
        var info = ModelInfoCodec.Decode(Hex("82", Str("num_blocks"), "50", Str("repository"), "c0"));

        Assert.Equal(new ModelInfo(null, 80), info);
    }

    [Theory]
    [InlineData("92 a161 08", "map")] // an array
    [InlineData("c0", "map")] // nil
    [InlineData("", "truncated")] // empty
    [InlineData("80", "lacks num_blocks")] // empty map
    [InlineData("81 aa7265706f7369746f7279 a161", "lacks num_blocks")] // repository only
    [InlineData("81 aa6e756d5f626c6f636b73 cb4020000000000000", "float")] // num_blocks 8.0
    [InlineData("81 aa6e756d5f626c6f636b73 00", "outside")] // num_blocks 0
    [InlineData("81 aa6e756d5f626c6f636b73 ff", "outside")] // num_blocks -1
    [InlineData("81 aa6e756d5f626c6f636b73 ce00010001", "outside")] // num_blocks 65537
    [InlineData("81 aa6e756d5f626c6f636b73 a138", "int")] // num_blocks str
    [InlineData("82 aa6e756d5f626c6f636b73 08 a46e616d65 a161", "unknown")] // an extra key "name"
    [InlineData("82 aa6e756d5f626c6f636b73 08 aa6e756d5f626c6f636b73 09", "twice")] // duplicate num_blocks
    [InlineData("83 aa6e756d5f626c6f636b73 08 a161 01 a162 02", "only repository and num_blocks")] // three entries
    [InlineData("82 aa7265706f7369746f7279 07 aa6e756d5f626c6f636b73 08", "str")] // repository an int
    [InlineData("81 aa7265706f7369746f7279 c4 01 41", "str")] // repository bin
    [InlineData("81 01 08", "field name")] // key an int
    [InlineData("81 a2c328 08", "UTF-8")] // key invalid UTF-8
    [InlineData("81 aa6e756d5f626c6f636b73 08 c0", "trailing")] // trailing bytes
    [InlineData("df ffffffff", "truncated")] // map count beyond the input
    public void Decode_BadValue_ThrowsNamingTheProblem(string hex, string expected)
    {
        var error = Assert.Throws<ModelInfoFormatException>(() => ModelInfoCodec.Decode(Hex(hex)));

        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_LongRepository_IsRefused()
    {
        var repository = new string('r', ServerInfoLimits.MaxStringBytes + 1);
        var bytes = Hex("81", Str("repository"), "da", $"{repository.Length:x4}", Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(repository)));

        var error = Assert.Throws<ModelInfoFormatException>(() => ModelInfoCodec.Decode(bytes));

        Assert.Contains("more than 1024", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ValueOverTheLimit_IsRefusedBeforeReading()
    {
        var error = Assert.Throws<ModelInfoFormatException>(() => ModelInfoCodec.Decode(new byte[ModelInfoCodec.MaxValueBytes + 1]));

        Assert.Contains("bytes, more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_BadValue_ReturnsFalseWithTheReason()
    {
        var ok = ModelInfoCodec.TryDecode(Hex("80"), out var info, out var error);

        Assert.False(ok);
        Assert.Null(info);
        Assert.Contains("num_blocks", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    [InlineData(65_537)]
    public void Encode_NumBlocksOutOfRange_Throws(int numBlocks)
    {
        Assert.Throws<ArgumentException>(() => ModelInfoCodec.Encode(new ModelInfo(Repository, numBlocks)));
    }

    [Fact]
    public void HuggingFaceRepository_Model_IsTheHubAddress()
    {
        Assert.Equal(Repository, ModelInfo.HuggingFaceRepository("unsloth/Llama-3.1-8B-Instruct"));
    }
}
