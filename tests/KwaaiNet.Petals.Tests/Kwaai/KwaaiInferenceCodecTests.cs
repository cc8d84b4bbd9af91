// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Kwaai;

namespace KwaaiNet.Petals.Tests.Kwaai;

public sealed class KwaaiInferenceCodecTests
{
    // Hand-written from rmp_serde::to_vec_named of upstream's structs (core/crates/kwaai-cli/src/block_rpc.rs): a map in
    // field order, keys as fixstr, ints in their smallest form, enums as snake_case strings, Vec<u8> as an array of ints.
    private const string SessionIdKey = "aa 73657373696f6e5f6964";
    private const string SeqPosKey = "a7 7365715f706f73";
    private const string PayloadTypeKey = "ac 7061796c6f61645f74797065";
    private const string ResponseTypeKey = "ad 726573706f6e73655f74797065";
    private const string HiddenStates = "ad 68696464656e5f737461746573";
    private const string TokenIds = "a9 746f6b656e5f696473";
    private const string ShapeKey = "a5 7368617065";
    private const string DataKey = "a4 64617461";
    private const string ErrorKey = "a5 6572726f72";

    /// <summary>session_id 0xfedcba9876543210 (a u64 above i64::MAX), seq_pos 300, hidden_states [1, 1, 2] = f16 [1.0, -2.0].</summary>
    private const string HiddenRequestHead =
        "85 " + SessionIdKey + " cf fedcba9876543210 " + SeqPosKey + " cd 012c " + PayloadTypeKey + " " + HiddenStates + " "
        + ShapeKey + " 93 01 01 02 " + DataKey;

    /// <summary>The data as upstream writes it: one int per byte, 0xc0 as uint8 (cc c0).</summary>
    private const string HiddenRequest = HiddenRequestHead + " 94 00 3c 00 cc c0";

    /// <summary>The same request with data as a bin.</summary>
    private const string HiddenRequestBin = HiddenRequestHead + " c4 04 00 3c 00 c0";

    /// <summary>session_id 1, seq_pos 0, token_ids [3] = u32 LE [1, 42, 32000].</summary>
    private const string TokenRequest =
        "85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 03 "
        + DataKey + " 9c 01 00 00 00 2a 00 00 00 00 7d 00 00";

    /// <summary>session_id 7, hidden_states [1, 1, 2] = f16 [1.0, -2.0], error None (nil).</summary>
    private const string HiddenResponse =
        "85 " + SessionIdKey + " 07 " + ResponseTypeKey + " " + HiddenStates + " " + ShapeKey + " 93 01 01 02 " + DataKey
        + " 94 00 3c 00 cc c0 " + ErrorKey + " c0";

    /// <summary>An upstream error response: session 0, hidden_states, shape [], data [], error "session expired".</summary>
    private const string ErrorResponse =
        "85 " + SessionIdKey + " 00 " + ResponseTypeKey + " " + HiddenStates + " " + ShapeKey + " 90 " + DataKey + " 90 "
        + ErrorKey + " af 73657373696f6e2065787069726564";

    private static readonly byte[] OneMinusTwo = [0x00, 0x3c, 0x00, 0xc0];

    [Fact]
    public void EncodeRequest_HiddenStates_WritesUpstreamBytes()
    {
        var bytes = KwaaiInferenceCodec.EncodeRequest(HiddenRequestValue());

        Assert.Equal(Hex(HiddenRequest), bytes);
    }

    [Fact]
    public void EncodeRequest_BinForm_WritesDataAsBin()
    {
        var bytes = KwaaiInferenceCodec.EncodeRequest(HiddenRequestValue(), KwaaiDataForm.Bin);

        Assert.Equal(Hex(HiddenRequestBin), bytes);
    }

    [Theory]
    [InlineData(HiddenRequest)]
    [InlineData(HiddenRequestBin)]
    public void DecodeRequest_EitherDataForm_ReadsTheRequest(string hex)
    {
        var request = KwaaiInferenceCodec.DecodeRequest(Hex(hex));

        Assert.Equal(0xfedcba9876543210UL, request.SessionId);
        Assert.Equal(300U, request.SeqPos);
        Assert.Equal(KwaaiPayloadType.HiddenStates, request.PayloadType);
        Assert.Equal([1U, 1U, 2U], request.Shape);
        Assert.Equal(OneMinusTwo, request.Data.ToArray());
        Assert.Equal([1.0f, -2.0f], KwaaiInferenceCodec.DecodeFloat16(request.Data.Span));
    }

    [Fact]
    public void EncodeRequest_TokenIds_WritesUpstreamBytes()
    {
        var request = new KwaaiInferenceRequest(1, 0, KwaaiPayloadType.TokenIds, [3], KwaaiInferenceCodec.EncodeTokenIds([1, 42, 32000]));

        Assert.Equal(Hex(TokenRequest), KwaaiInferenceCodec.EncodeRequest(request));
    }

    [Fact]
    public void DecodeRequest_TokenIds_ReadsIds()
    {
        var request = KwaaiInferenceCodec.DecodeRequest(Hex(TokenRequest));

        Assert.Equal(KwaaiPayloadType.TokenIds, request.PayloadType);
        Assert.Equal([3U], request.Shape);
        Assert.Equal([1U, 42U, 32000U], KwaaiInferenceCodec.DecodeTokenIds(request.Data.Span));
    }

    [Fact]
    public void EncodeResponse_Success_WritesNilError()
    {
        var response = new KwaaiInferenceResponse(7, KwaaiResponseType.HiddenStates, [1, 1, 2], OneMinusTwo, null);

        Assert.Equal(Hex(HiddenResponse), KwaaiInferenceCodec.EncodeResponse(response));
    }

    [Fact]
    public void EncodeResponse_Failure_WritesUpstreamErrorShape()
    {
        Assert.Equal(Hex(ErrorResponse), KwaaiInferenceCodec.EncodeResponse(KwaaiInferenceResponse.Failure(0, "session expired")));
    }

    [Fact]
    public void DecodeResponse_UpstreamError_ReadsTheError()
    {
        var response = KwaaiInferenceCodec.DecodeResponse(Hex(ErrorResponse));

        Assert.Equal("session expired", response.Error);
        Assert.Empty(response.Shape);
        Assert.Equal(0, response.Data.Length);
    }

    [Fact]
    public void DecodeResponse_WithoutErrorKeyAndWithUnknownKeys_ReadsASuccess()
    {
        // A newer peer may add fields and leave out the optional one; serde skips unknown keys and reads a missing Option as None.
        var hex = "85 " + SessionIdKey + " 07 a5 6578747261 82 01 91 c0 02 c4 00 " + ResponseTypeKey + " a6 6c6f67697473 "
            + ShapeKey + " 93 01 01 02 " + DataKey + " c4 04 00 3c 00 c0";

        var response = KwaaiInferenceCodec.DecodeResponse(Hex(hex));

        Assert.Null(response.Error);
        Assert.Equal(KwaaiResponseType.Logits, response.ResponseType);
        Assert.Equal(OneMinusTwo, response.Data.ToArray());
    }

    [Theory]
    [InlineData(KwaaiDataForm.IntegerArray, 1)]
    [InlineData(KwaaiDataForm.IntegerArray, 70_000)]
    [InlineData(KwaaiDataForm.Bin, 1)]
    [InlineData(KwaaiDataForm.Bin, 70_000)]
    public void Response_RoundTrips(KwaaiDataForm form, int tokens)
    {
        // 64-wide hidden states: 70,000 tokens take array32 and bin32 headers, and every byte value occurs.
        var values = new float[tokens * 64];
        var random = new Random(tokens);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 20) - 10);
        }

        var data = KwaaiInferenceCodec.EncodeFloat16(values);
        var response = new KwaaiInferenceResponse(ulong.MaxValue, KwaaiResponseType.HiddenStates, [1, (uint)tokens, 64], data, null);

        var decoded = KwaaiInferenceCodec.DecodeResponse(KwaaiInferenceCodec.EncodeResponse(response, form));

        Assert.Equal(ulong.MaxValue, decoded.SessionId);
        Assert.Equal(response.Shape, decoded.Shape);
        Assert.Equal(data, decoded.Data.ToArray());
        var back = KwaaiInferenceCodec.DecodeFloat16(decoded.Data.Span);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.Equal(values[i], back[i], 0.01f);
        }
    }

    [Fact]
    public void DecodeRequest_EveryTruncation_IsRefused()
    {
        var bytes = Hex(HiddenRequest);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.ThrowsAny<FormatException>(() => KwaaiInferenceCodec.DecodeRequest(bytes.AsSpan(0, length)));
        }
    }

    [Theory]
    [InlineData("85 " + SessionIdKey + " a1 31 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.session_id")]
    [InlineData("85 " + SessionIdKey + " ff " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.session_id")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " cf 0000000100000000 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.seq_pos")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " a6 6c6f67697473 " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.payload_type")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " 01 " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.payload_type")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 81 01 01 " + DataKey + " c4 04 00000000", "InferenceRequest.shape")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 ff " + DataKey + " c4 04 00000000", "InferenceRequest.shape[0]")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 95 01 01 01 01 01 " + DataKey + " c4 04 00000000", "InferenceRequest.shape")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " a4 00000000", "InferenceRequest.data")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " 94 00 00 cd 0100 00", "InferenceRequest.data[2]")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " 94 00 00 ff 00", "InferenceRequest.data[2]")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 02 " + DataKey + " c4 04 00000000", "InferenceRequest.shape/data")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + HiddenStates + " " + ShapeKey + " 93 01 01 02 " + DataKey + " c4 03 000000", "InferenceRequest.shape/data")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 90 " + DataKey + " 90", "InferenceRequest.shape/data")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 92 ce ffffffff ce ffffffff " + DataKey + " 90", "InferenceRequest.shape/data")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " dd ffffffff 00", "InferenceRequest.data")]
    [InlineData("84 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01", "InferenceRequest.data: missing")]
    [InlineData("84 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.session_id: missing")]
    [InlineData("86 " + SessionIdKey + " 01 " + SessionIdKey + " 02 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000", "InferenceRequest.session_id: the key appears twice")]
    [InlineData("85 " + SessionIdKey + " 01 " + SeqPosKey + " 00 " + PayloadTypeKey + " " + TokenIds + " " + ShapeKey + " 91 01 " + DataKey + " c4 04 00000000 00", "InferenceRequest: 1 bytes after the map")]
    [InlineData("95 01 00 " + TokenIds + " 91 01 c4 04 00000000", "InferenceRequest")]
    [InlineData("c1", "InferenceRequest")]
    public void DecodeRequest_BadInput_IsRefusedNamingTheField(string hex, string expected)
    {
        var error = Assert.ThrowsAny<FormatException>(() => KwaaiInferenceCodec.DecodeRequest(Hex(hex)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("85 " + SessionIdKey + " 07 " + ResponseTypeKey + " a5 6f74686572 " + ShapeKey + " 90 " + DataKey + " 90 " + ErrorKey + " c0", "InferenceResponse.response_type")]
    [InlineData("85 " + SessionIdKey + " 07 " + ResponseTypeKey + " " + HiddenStates + " " + ShapeKey + " 90 " + DataKey + " 92 00 00 " + ErrorKey + " c0", "InferenceResponse.shape/data")]
    [InlineData("85 " + SessionIdKey + " 07 " + ResponseTypeKey + " " + HiddenStates + " " + ShapeKey + " 90 " + DataKey + " 90 " + ErrorKey + " 01", "InferenceResponse.error")]
    [InlineData("84 " + SessionIdKey + " 07 " + ShapeKey + " 90 " + DataKey + " 90 " + ErrorKey + " c0", "InferenceResponse.response_type: missing")]
    public void DecodeResponse_BadInput_IsRefusedNamingTheField(string hex, string expected)
    {
        var error = Assert.ThrowsAny<FormatException>(() => KwaaiInferenceCodec.DecodeResponse(Hex(hex)));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeRequest_Oversize_IsRefusedBeforeReading()
    {
        var bytes = new byte[KwaaiInferenceCodec.MaxMessageBytes + 1];

        var error = Assert.ThrowsAny<FormatException>(() => KwaaiInferenceCodec.DecodeRequest(bytes));

        Assert.Contains("more than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncodeRequest_ShapeDisagreesWithData_IsRefused()
    {
        var request = new KwaaiInferenceRequest(1, 0, KwaaiPayloadType.HiddenStates, [1, 2, 2], OneMinusTwo);

        Assert.Throws<ArgumentException>(() => KwaaiInferenceCodec.EncodeRequest(request));
    }

    [Fact]
    public void DecodeFloat16_OddLength_IsRefused()
    {
        Assert.ThrowsAny<FormatException>(() => KwaaiInferenceCodec.DecodeFloat16([0x00, 0x3c, 0x00]));
    }

    private static KwaaiInferenceRequest HiddenRequestValue() =>
        new(0xfedcba9876543210UL, 300, KwaaiPayloadType.HiddenStates, [1, 1, 2], KwaaiInferenceCodec.EncodeFloat16([1.0f, -2.0f]));

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
}
