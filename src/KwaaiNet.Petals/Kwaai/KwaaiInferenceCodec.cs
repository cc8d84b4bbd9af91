// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Kwaai;

/// <summary>
/// Reads and writes upstream KwaaiNet's <c>/kwaai/inference/1.0.0</c> messages (<c>core/crates/kwaai-cli/src/block_rpc.rs</c>):
/// <c>rmp_serde::to_vec_named</c> of <c>InferenceRequest</c> and <c>InferenceResponse</c>, msgpack maps keyed by field
/// name in declaration order, enums as snake_case strings, <c>error: None</c> as nil.
/// </summary>
/// <remarks>
/// <para>
/// <c>data</c> is a <c>Vec&lt;u8&gt;</c> without <c>serde_bytes</c>, so rmp-serde 1.3.1 (upstream's <c>core/Cargo.lock</c>)
/// writes it as an array of ints, one per byte (0..127 as fixints, 128..255 as <c>0xcc</c> uint8), and reads either that
/// or a bin (<c>rmp-serde/src/decode.rs</c>, <c>any_inner</c> visits a bin as a sequence). The decoder here accepts both
/// forms; the encoder writes upstream's array by default (<see cref="KwaaiDataForm"/>).
/// </para>
/// <para>
/// Every input is bounded before it is used: the message size, the key count and key length, the shape's rank, the data
/// length, and the shape's element count must match the data exactly (4 bytes per token id, 2 per f16 value; upstream has
/// no f32 form). Unknown keys are skipped and a response without <c>error</c> reads as a success, as serde does. Failures
/// throw <see cref="FormatException"/> naming the field.
/// </para>
/// </remarks>
public static class KwaaiInferenceCodec
{
    /// <summary>The libp2p protocol id upstream's <c>shard serve</c> registers as a p2pd unary handler.</summary>
    public const string Protocol = "/kwaai/inference/1.0.0";

    /// <summary>The largest <c>data</c> accepted, in bytes (16 MiB: a 2,048-token prefill of width 4,096 in f16).</summary>
    public const int MaxDataBytes = 16 * 1024 * 1024;

    /// <summary>The largest message accepted: <see cref="MaxDataBytes"/> written as ints takes up to two bytes per byte.</summary>
    public const int MaxMessageBytes = (2 * MaxDataBytes) + (64 * 1024);

    /// <summary>The most dimensions a shape may have (upstream sends 1 for token ids, 3 for hidden states and logits).</summary>
    public const int MaxShapeRank = 4;

    /// <summary>The most keys a message map may have.</summary>
    public const int MaxKeys = 16;

    /// <summary>The longest key, in bytes.</summary>
    public const int MaxKeyBytes = 64;

    /// <summary>The longest error text, in bytes.</summary>
    public const int MaxErrorBytes = 64 * 1024;

    private const int MaxSkipDepth = 8;
    private const string Request = "InferenceRequest";
    private const string Response = "InferenceResponse";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bytes per element of a payload: u32 token ids take 4, f16 values 2.</summary>
    public static int ElementSize(KwaaiPayloadType payloadType) => payloadType == KwaaiPayloadType.TokenIds ? 4 : 2;

    /// <summary>Writes a request as upstream's coordinator does.</summary>
    /// <exception cref="ArgumentException">The request would be refused by a strict reader (shape and data disagree, too large).</exception>
    public static byte[] EncodeRequest(KwaaiInferenceRequest request, KwaaiDataForm dataForm = KwaaiDataForm.IntegerArray)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Shape);
        CheckTensor(request.Shape, request.Data.Length, ElementSize(request.PayloadType), allowEmpty: false, nameof(request));
        var output = new ArrayBufferWriter<byte>(64 + (2 * request.Data.Length));
        var writer = new DhtMsgPackWriter(output);
        writer.WriteMapHeader(5);
        writer.Write("session_id");
        writer.Write(request.SessionId);
        writer.Write("seq_pos");
        writer.Write((ulong)request.SeqPos);
        writer.Write("payload_type");
        writer.Write(Name(request.PayloadType));
        WriteTensor(writer, request.Shape, request.Data.Span, dataForm);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Writes a response as upstream's block server does (<c>error</c> always present, nil on success).</summary>
    /// <exception cref="ArgumentException">The response would be refused by a strict reader.</exception>
    public static byte[] EncodeResponse(KwaaiInferenceResponse response, KwaaiDataForm dataForm = KwaaiDataForm.IntegerArray)
    {
        ArgumentNullException.ThrowIfNull(response);
        ArgumentNullException.ThrowIfNull(response.Shape);
        CheckTensor(response.Shape, response.Data.Length, 2, allowEmpty: true, nameof(response));
        if (response.Error is { } error && Encoding.UTF8.GetByteCount(error) > MaxErrorBytes)
        {
            throw new ArgumentException($"the error text is longer than {MaxErrorBytes} bytes", nameof(response));
        }

        var output = new ArrayBufferWriter<byte>(64 + (2 * response.Data.Length));
        var writer = new DhtMsgPackWriter(output);
        writer.WriteMapHeader(5);
        writer.Write("session_id");
        writer.Write(response.SessionId);
        writer.Write("response_type");
        writer.Write(Name(response.ResponseType));
        WriteTensor(writer, response.Shape, response.Data.Span, dataForm);
        writer.Write("error");
        writer.Write(response.Error);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads a request; <c>data</c> may be an array of ints or a bin.</summary>
    /// <exception cref="FormatException">The bytes are not such a request; the message names the field.</exception>
    public static KwaaiInferenceRequest DecodeRequest(ReadOnlySpan<byte> data)
    {
        var reader = OpenMap(data, Request, out var count);
        HashSet<string> seen = new(StringComparer.Ordinal);
        ulong? sessionId = null;
        uint? seqPos = null;
        KwaaiPayloadType? payloadType = null;
        uint[]? shape = null;
        byte[]? bytes = null;
        for (var i = 0; i < count; i++)
        {
            var key = ReadKey(ref reader, seen, Request);
            var where = $"{Request}.{key}";
            switch (key)
            {
                case "session_id":
                    sessionId = ReadUInt64(ref reader, where);
                    break;
                case "seq_pos":
                    seqPos = ReadUInt32(ref reader, where);
                    break;
                case "payload_type":
                    payloadType = ReadPayloadType(ref reader, where);
                    break;
                case "shape":
                    shape = ReadShape(ref reader, where);
                    break;
                case "data":
                    bytes = ReadData(ref reader, where);
                    break;
                default:
                    _ = reader.ReadObject(MaxSkipDepth, hashable: false, where);
                    break;
            }
        }

        CheckEnd(reader, Request);
        var type = payloadType ?? throw Missing(Request, "payload_type");
        var dims = shape ?? throw Missing(Request, "shape");
        var payload = bytes ?? throw Missing(Request, "data");
        CheckDecodedTensor(dims, payload.Length, ElementSize(type), allowEmpty: false, Request);
        return new KwaaiInferenceRequest(
            sessionId ?? throw Missing(Request, "session_id"), seqPos ?? throw Missing(Request, "seq_pos"), type, dims, payload);
    }

    /// <summary>Reads a response; <c>data</c> may be an array of ints or a bin, and <c>error</c> may be absent.</summary>
    /// <exception cref="FormatException">The bytes are not such a response; the message names the field.</exception>
    public static KwaaiInferenceResponse DecodeResponse(ReadOnlySpan<byte> data)
    {
        var reader = OpenMap(data, Response, out var count);
        HashSet<string> seen = new(StringComparer.Ordinal);
        ulong? sessionId = null;
        KwaaiResponseType? responseType = null;
        uint[]? shape = null;
        byte[]? bytes = null;
        string? error = null;
        for (var i = 0; i < count; i++)
        {
            var key = ReadKey(ref reader, seen, Response);
            var where = $"{Response}.{key}";
            switch (key)
            {
                case "session_id":
                    sessionId = ReadUInt64(ref reader, where);
                    break;
                case "response_type":
                    responseType = ReadResponseType(ref reader, where);
                    break;
                case "shape":
                    shape = ReadShape(ref reader, where);
                    break;
                case "data":
                    bytes = ReadData(ref reader, where);
                    break;
                case "error":
                    error = ReadError(ref reader, where);
                    break;
                default:
                    _ = reader.ReadObject(MaxSkipDepth, hashable: false, where);
                    break;
            }
        }

        CheckEnd(reader, Response);
        var dims = shape ?? throw Missing(Response, "shape");
        var payload = bytes ?? throw Missing(Response, "data");
        CheckDecodedTensor(dims, payload.Length, 2, allowEmpty: true, Response);
        return new KwaaiInferenceResponse(
            sessionId ?? throw Missing(Response, "session_id"),
            responseType ?? throw Missing(Response, "response_type"),
            dims,
            payload,
            error);
    }

    /// <summary>f16 little-endian bytes of <paramref name="values"/> (rounded to the nearest half).</summary>
    public static byte[] EncodeFloat16(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteHalfLittleEndian(bytes.AsSpan(i * 2), (Half)values[i]);
        }

        return bytes;
    }

    /// <summary>The floats of f16 little-endian bytes.</summary>
    /// <exception cref="FormatException">The length is odd.</exception>
    public static float[] DecodeFloat16(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 2 != 0)
        {
            throw new FormatException($"f16 data of {bytes.Length} bytes is not a whole number of 2-byte values.");
        }

        var values = new float[bytes.Length / 2];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]);
        }

        return values;
    }

    /// <summary>u32 little-endian bytes of token ids.</summary>
    public static byte[] EncodeTokenIds(ReadOnlySpan<uint> tokenIds)
    {
        var bytes = new byte[tokenIds.Length * 4];
        for (var i = 0; i < tokenIds.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 4), tokenIds[i]);
        }

        return bytes;
    }

    /// <summary>The token ids of u32 little-endian bytes.</summary>
    /// <exception cref="FormatException">The length is not a multiple of 4.</exception>
    public static uint[] DecodeTokenIds(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 4 != 0)
        {
            throw new FormatException($"token_id data of {bytes.Length} bytes is not a whole number of 4-byte ids.");
        }

        var ids = new uint[bytes.Length / 4];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = BinaryPrimitives.ReadUInt32LittleEndian(bytes[(i * 4)..]);
        }

        return ids;
    }

    private static string Name(KwaaiPayloadType type) => type switch
    {
        KwaaiPayloadType.TokenIds => "token_ids",
        KwaaiPayloadType.HiddenStates => "hidden_states",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a payload type"),
    };

    private static string Name(KwaaiResponseType type) => type switch
    {
        KwaaiResponseType.HiddenStates => "hidden_states",
        KwaaiResponseType.Logits => "logits",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "not a response type"),
    };

    private static void WriteTensor(DhtMsgPackWriter writer, IReadOnlyList<uint> shape, ReadOnlySpan<byte> data, KwaaiDataForm dataForm)
    {
        writer.Write("shape");
        writer.WriteArrayHeader(shape.Count);
        foreach (var dim in shape)
        {
            writer.Write((ulong)dim);
        }

        writer.Write("data");
        switch (dataForm)
        {
            case KwaaiDataForm.IntegerArray:
                writer.WriteArrayHeader(data.Length);
                foreach (var b in data)
                {
                    writer.Write((ulong)b);
                }

                break;
            case KwaaiDataForm.Bin:
                writer.WriteBin(data);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dataForm), dataForm, "not a data form");
        }
    }

    private static void CheckTensor(IReadOnlyList<uint> shape, int dataLength, int elementSize, bool allowEmpty, string parameter)
    {
        if (TensorProblem(shape, dataLength, elementSize, allowEmpty) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    private static void CheckDecodedTensor(IReadOnlyList<uint> shape, int dataLength, int elementSize, bool allowEmpty, string message)
    {
        if (TensorProblem(shape, dataLength, elementSize, allowEmpty) is { } problem)
        {
            throw new FormatException($"{message}.shape/data: {problem}.");
        }
    }

    /// <summary>Why a shape and a data length disagree, or null when they agree.</summary>
    private static string? TensorProblem(IReadOnlyList<uint> shape, int dataLength, int elementSize, bool allowEmpty)
    {
        if (shape.Count > MaxShapeRank)
        {
            return Invariant($"a shape of rank {shape.Count}, more than {MaxShapeRank}");
        }

        if (dataLength > MaxDataBytes)
        {
            return Invariant($"{dataLength} data bytes, more than {MaxDataBytes}");
        }

        if (shape.Count == 0)
        {
            // Upstream's error responses carry shape [] and data [].
            return !allowEmpty ? "an empty shape" : dataLength == 0 ? null : Invariant($"an empty shape with {dataLength} data bytes");
        }

        long elements = 1;
        foreach (var dim in shape)
        {
            elements *= dim;
            if (elements > MaxDataBytes)
            {
                return Invariant($"shape [{string.Join(", ", shape)}] holds more than {MaxDataBytes} elements");
            }
        }

        return elements * elementSize == dataLength
            ? null
            : Invariant($"shape [{string.Join(", ", shape)}] holds {elements} elements of {elementSize} bytes = {elements * elementSize} bytes, but data holds {dataLength}");
    }

    private static MsgPackSpanReader OpenMap(ReadOnlySpan<byte> data, string message, out int count)
    {
        if (data.Length > MaxMessageBytes)
        {
            throw new FormatException(Invariant($"{message}: {data.Length} bytes, more than {MaxMessageBytes}."));
        }

        var reader = new MsgPackSpanReader(data);
        count = reader.ReadMapHeader(message);
        return count <= MaxKeys ? reader : throw new FormatException(Invariant($"{message}: {count} keys, more than {MaxKeys}."));
    }

    private static void CheckEnd(in MsgPackSpanReader reader, string message)
    {
        if (!reader.End)
        {
            throw new FormatException(Invariant($"{message}: {reader.Remaining} bytes after the map."));
        }
    }

    private static string ReadKey(ref MsgPackSpanReader reader, HashSet<string> seen, string message)
    {
        var bytes = reader.ReadStr($"{message} key");
        if (bytes.Length > MaxKeyBytes)
        {
            throw new FormatException(Invariant($"{message}: a key of {bytes.Length} bytes, more than {MaxKeyBytes}."));
        }

        var key = StrictUtf8.GetString(bytes);
        return seen.Add(key) ? key : throw new FormatException($"{message}.{key}: the key appears twice.");
    }

    private static FormatException Missing(string message, string key) => new($"{message}.{key}: missing.");

    private static ulong ReadUInt64(ref MsgPackSpanReader reader, string where)
    {
        // The reader's ints stop at long.MaxValue; a random u64 session id is above it half the time.
        if (reader.Peek(where) == 0xcf)
        {
            return BinaryPrimitives.ReadUInt64BigEndian(reader.ReadObject(1, hashable: false, where)[1..]);
        }

        var value = reader.ReadInteger(where);
        return value >= 0 ? (ulong)value : throw new FormatException(Invariant($"{where}: {value} is negative; an unsigned int is expected."));
    }

    private static uint ReadUInt32(ref MsgPackSpanReader reader, string where)
    {
        var value = ReadUInt64(ref reader, where);
        return value <= uint.MaxValue ? (uint)value : throw new FormatException(Invariant($"{where}: {value} is larger than a u32."));
    }

    private static string ReadShortString(ref MsgPackSpanReader reader, string where)
    {
        var bytes = reader.ReadStr(where);
        return bytes.Length <= MaxKeyBytes
            ? StrictUtf8.GetString(bytes)
            : throw new FormatException(Invariant($"{where}: a string of {bytes.Length} bytes, more than {MaxKeyBytes}."));
    }

    private static KwaaiPayloadType ReadPayloadType(ref MsgPackSpanReader reader, string where) => ReadShortString(ref reader, where) switch
    {
        "token_ids" => KwaaiPayloadType.TokenIds,
        "hidden_states" => KwaaiPayloadType.HiddenStates,
        var other => throw new FormatException($"{where}: '{other}' is not \"token_ids\" or \"hidden_states\"."),
    };

    private static KwaaiResponseType ReadResponseType(ref MsgPackSpanReader reader, string where) => ReadShortString(ref reader, where) switch
    {
        "hidden_states" => KwaaiResponseType.HiddenStates,
        "logits" => KwaaiResponseType.Logits,
        var other => throw new FormatException($"{where}: '{other}' is not \"hidden_states\" or \"logits\"."),
    };

    private static uint[] ReadShape(ref MsgPackSpanReader reader, string where)
    {
        var rank = reader.ReadArrayHeader(where);
        if (rank > MaxShapeRank)
        {
            throw new FormatException(Invariant($"{where}: rank {rank}, more than {MaxShapeRank}."));
        }

        var shape = new uint[rank];
        for (var i = 0; i < rank; i++)
        {
            shape[i] = ReadUInt32(ref reader, Invariant($"{where}[{i}]"));
        }

        return shape;
    }

    private static byte[] ReadData(ref MsgPackSpanReader reader, string where)
    {
        var code = reader.Peek(where);
        if (code is 0xc4 or 0xc5 or 0xc6)
        {
            var bin = reader.ReadBin(where);
            return bin.Length <= MaxDataBytes
                ? bin.ToArray()
                : throw new FormatException(Invariant($"{where}: {bin.Length} bytes, more than {MaxDataBytes}."));
        }

        if (code is not ((>= 0x90 and <= 0x9f) or 0xdc or 0xdd))
        {
            throw new FormatException(Invariant($"{where} is {MsgPackSpanReader.KindOf(code)}, expected an array of ints (0..255) or a bin."));
        }

        // The header's count is already checked against the bytes that remain, so the allocation is bounded by the input.
        var count = reader.ReadArrayHeader(where);
        if (count > MaxDataBytes)
        {
            throw new FormatException(Invariant($"{where}: {count} bytes, more than {MaxDataBytes}."));
        }

        var bytes = new byte[count];
        for (var i = 0; i < count; i++)
        {
            var value = reader.ReadInteger(where);
            bytes[i] = value is >= 0 and <= byte.MaxValue
                ? (byte)value
                : throw new FormatException(Invariant($"{where}[{i}]: {value} is not a byte (0..255)."));
        }

        return bytes;
    }

    private static string? ReadError(ref MsgPackSpanReader reader, string where)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var bytes = reader.ReadStr(where);
        return bytes.Length <= MaxErrorBytes
            ? StrictUtf8.GetString(bytes)
            : throw new FormatException(Invariant($"{where}: {bytes.Length} bytes, more than {MaxErrorBytes}."));
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
