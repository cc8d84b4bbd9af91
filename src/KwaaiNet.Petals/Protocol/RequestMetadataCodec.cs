// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Protocol;

/// <summary>
/// Reads and writes Petals' <c>ExpertRequest.metadata</c>: a msgpack map written by hivemind's
/// <c>MSGPackSerializer</c> (tuples as <c>Ext 0x40</c>). Reading is strict about each known key's type and bounded
/// (<see cref="MaxBytes"/>, <see cref="MaxKeys"/>, <see cref="MaxStringBytes"/>, <see cref="MaxTensors"/>,
/// <see cref="MaxNextServers"/>); keys it does not know are skipped, as Petals servers ignore them. Every failure is a
/// <see cref="FormatException"/> whose message names the key. Writing follows the Petals client's key order, so its
/// bytes equal the client's.
/// </summary>
public static class RequestMetadataCodec
{
    /// <summary>The largest metadata accepted, in bytes.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>The most keys a metadata map may have.</summary>
    public const int MaxKeys = 64;

    /// <summary>The longest key or string value accepted, in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 1024;

    /// <summary>The most positional arguments in <c>args_structure</c>, and the bound on their tensor indices.</summary>
    public const int MaxTensors = 64;

    /// <summary>The most entries in <c>next_servers</c>.</summary>
    public const int MaxNextServers = 256;

    /// <summary>The largest <c>max_length</c> accepted (a server bounds it further by its own inference limit).</summary>
    public const int MaxMaxLength = 1 << 20;

    /// <summary>The most entries in <c>output_compression</c>.</summary>
    public const int MaxOutputCompression = 64;

    private const int MaxSkipDepth = 16;
    private const string Prefix = "metadata";
    private const string SessionIdKey = "session_id";
    private const string StepIdKey = "step_id";
    private const string MaxLengthKey = "max_length";
    private const string PointsKey = "points";
    private const string ActiveAdapterKey = "active_adapter";
    private const string ArgsStructureKey = "args_structure";
    private const string StartFromPositionKey = "start_from_position";
    private const string NextServersKey = "next_servers";
    private const string AllocTimeoutKey = "alloc_timeout";
    private const string PushedKey = "pushed";
    private const string OutputCompressionKey = "output_compression";
    private const string TraceParentKey = "traceparent";
    private const string TensorMarker = "__T";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Writes inference metadata in the Petals client's key order. With <see cref="InferenceMetadata.MaxLength"/> set
    /// (a first step): <c>session_id, step_id, max_length, points, active_adapter</c> (nil when null),
    /// <c>args_structure, start_from_position</c>; otherwise <c>session_id, step_id, points, start_from_position,
    /// args_structure</c>. Then <c>next_servers</c> (when not empty), <c>alloc_timeout</c>, <c>pushed</c>, <c>traceparent</c>. Null keys
    /// are left out.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="metadata"/> holds a value a strict reader would refuse.</exception>
    public static byte[] Encode(InferenceMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var first = metadata.MaxLength is not null;
        var count = Count(metadata.SessionId) + Count(metadata.StepId) + Count(metadata.MaxLength) + Count(metadata.Points)
            + (first ? 1 : Count(metadata.ActiveAdapter)) + Count(metadata.ArgsStructure)
            + Count(metadata.StartFromPosition) + (metadata.NextServers.Count > 0 ? 1 : 0) + Count(metadata.AllocTimeout)
            + Count(metadata.Pushed) + Count(metadata.TraceParent);
        var bytes = DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(count);
            WriteStr(w, SessionIdKey, metadata.SessionId);
            WriteStr(w, StepIdKey, metadata.StepId);
            WriteInt(w, MaxLengthKey, metadata.MaxLength);
            WriteFloat(w, PointsKey, metadata.Points);
            if (first || metadata.ActiveAdapter is not null)
            {
                w.Write(ActiveAdapterKey);
                w.Write(metadata.ActiveAdapter);
            }

            if (first)
            {
                WriteArgsStructure(w, metadata.ArgsStructure);
                WriteInt(w, StartFromPositionKey, metadata.StartFromPosition);
            }
            else
            {
                WriteInt(w, StartFromPositionKey, metadata.StartFromPosition);
                WriteArgsStructure(w, metadata.ArgsStructure);
            }

            if (metadata.NextServers.Count > 0)
            {
                w.Write(NextServersKey);
                w.WriteArrayHeader(metadata.NextServers.Count);
                foreach (var next in metadata.NextServers)
                {
                    ArgumentNullException.ThrowIfNull(next, nameof(metadata));
                    w.WriteTuple(4, t =>
                    {
                        t.Write(next.PeerId);
                        t.Write(next.SessionId);
                        t.Write(next.Start);
                        t.Write(next.End);
                    });
                }
            }

            WriteFloat(w, AllocTimeoutKey, metadata.AllocTimeout);
            if (metadata.Pushed is { } pushed)
            {
                w.Write(PushedKey);
                w.Write(pushed);
            }

            WriteStr(w, TraceParentKey, metadata.TraceParent);
        });
        CheckReadable(bytes, static b => DecodeInference(b));
        return bytes;
    }

    /// <summary>
    /// Writes forward/backward metadata in the Petals client's key order: <c>points, active_adapter</c> (nil when
    /// null), <c>args_structure</c>, then <c>output_compression</c> when set. A null points or args_structure is left out.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="metadata"/> holds a value a strict reader would refuse.</exception>
    public static byte[] Encode(ForwardMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var count = Count(metadata.Points) + 1 + Count(metadata.ArgsStructure) + Count(metadata.OutputCompression);
        var bytes = DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(count);
            WriteFloat(w, PointsKey, metadata.Points);
            w.Write(ActiveAdapterKey);
            w.Write(metadata.ActiveAdapter);
            WriteArgsStructure(w, metadata.ArgsStructure);
            if (metadata.OutputCompression is { } compression)
            {
                w.Write(OutputCompressionKey);
                w.WriteArrayHeader(compression.Count);
                foreach (var value in compression)
                {
                    w.Write(value);
                }
            }
        });
        CheckReadable(bytes, static b => DecodeForward(b));
        return bytes;
    }

    /// <summary>
    /// The msgpack bytes of <c>args_structure</c> for positional tensor arguments with the given indices:
    /// <c>((b"__T{i}", ...), {})</c>.
    /// </summary>
    public static byte[] EncodeArgsStructure(IReadOnlyList<int> tensorIndices)
    {
        ArgumentNullException.ThrowIfNull(tensorIndices);
        foreach (var index in tensorIndices)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index, nameof(tensorIndices));
        }

        return DhtMsgPack.Write(w => WriteArgsStructureValue(w, tensorIndices));
    }

    /// <summary>Reads <c>rpc_inference</c> (or <c>rpc_push</c>) metadata; unknown keys are ignored.</summary>
    /// <exception cref="FormatException">The bytes are not such metadata; the message names the key.</exception>
    public static InferenceMetadata DecodeInference(ReadOnlySpan<byte> data)
    {
        var reader = OpenMap(data, out var count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new InferenceMetadata();
        for (var i = 0; i < count; i++)
        {
            var key = ReadKey(ref reader, seen);
            var where = $"{Prefix}.{key}";
            result = key switch
            {
                SessionIdKey => result with { SessionId = ReadString(ref reader, where) },
                StepIdKey => result with { StepId = ReadString(ref reader, where) },
                MaxLengthKey => result with { MaxLength = ReadBoundedInt(ref reader, 0, MaxMaxLength, where) },
                PointsKey => result with { Points = ReadFiniteNumber(ref reader, where) },
                ActiveAdapterKey => result with { ActiveAdapter = ReadAdapter(ref reader, where) },
                ArgsStructureKey => result with { ArgsStructure = ReadArgsStructure(ref reader, where) },
                StartFromPositionKey => result with { StartFromPosition = ReadBoundedInt(ref reader, 0, int.MaxValue, where) },
                NextServersKey => result with { NextServers = ReadNextServers(ref reader, where) },
                AllocTimeoutKey => result with { AllocTimeout = ReadFiniteNumber(ref reader, where) },
                PushedKey => result with { Pushed = reader.ReadBool(where) },
                TraceParentKey => result with { TraceParent = ReadString(ref reader, where) },
                _ => SkipUnknown(ref reader, where, result),
            };
        }

        CheckEnd(reader);
        return result;
    }

    /// <summary>Reads <c>rpc_forward</c>/<c>rpc_backward</c> metadata; unknown keys are ignored.</summary>
    /// <exception cref="FormatException">The bytes are not such metadata; the message names the key.</exception>
    public static ForwardMetadata DecodeForward(ReadOnlySpan<byte> data)
    {
        var reader = OpenMap(data, out var count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new ForwardMetadata();
        for (var i = 0; i < count; i++)
        {
            var key = ReadKey(ref reader, seen);
            var where = $"{Prefix}.{key}";
            result = key switch
            {
                PointsKey => result with { Points = ReadFiniteNumber(ref reader, where) },
                ActiveAdapterKey => result with { ActiveAdapter = ReadAdapter(ref reader, where) },
                ArgsStructureKey => result with { ArgsStructure = ReadArgsStructure(ref reader, where) },
                OutputCompressionKey => result with { OutputCompression = ReadOutputCompression(ref reader, where) },
                _ => SkipUnknown(ref reader, where, result),
            };
        }

        CheckEnd(reader);
        return result;
    }

    private static MsgPackSpanReader OpenMap(ReadOnlySpan<byte> data, out int count)
    {
        if (data.Length > MaxBytes)
        {
            throw new FormatException($"{Prefix}: {data.Length} bytes, more than {MaxBytes}.");
        }

        var reader = new MsgPackSpanReader(data);
        count = reader.ReadMapHeader(Prefix);
        if (count > MaxKeys)
        {
            throw new FormatException($"{Prefix}: {count} keys, more than {MaxKeys}.");
        }

        return reader;
    }

    private static void CheckEnd(in MsgPackSpanReader reader)
    {
        if (!reader.End)
        {
            throw new FormatException($"{Prefix}: {reader.Remaining} bytes after the map.");
        }
    }

    private static string ReadKey(ref MsgPackSpanReader reader, HashSet<string> seen)
    {
        var key = ReadString(ref reader, $"{Prefix} key");
        return seen.Add(key) ? key : throw new FormatException($"{Prefix}.{key}: the key appears twice.");
    }

    private static T SkipUnknown<T>(ref MsgPackSpanReader reader, string where, T result)
    {
        _ = reader.ReadObject(MaxSkipDepth, hashable: false, where);
        return result;
    }

    private static string ReadString(ref MsgPackSpanReader reader, string where)
    {
        var bytes = reader.ReadStr(where);
        return bytes.Length <= MaxStringBytes
            ? StrictUtf8.GetString(bytes)
            : throw new FormatException($"{where}: a string of {bytes.Length} bytes, more than {MaxStringBytes}.");
    }

    private static string? ReadAdapter(ref MsgPackSpanReader reader, string where) =>
        reader.TryReadNil() ? null : ReadString(ref reader, where);

    private static int ReadBoundedInt(ref MsgPackSpanReader reader, int min, int max, string where)
    {
        var value = reader.ReadInteger(where);
        return value >= min && value <= max
            ? (int)value
            : throw new FormatException($"{where}: {value} is outside {min}..{max}.");
    }

    private static double ReadFiniteNumber(ref MsgPackSpanReader reader, string where)
    {
        var value = reader.ReadNumber(where);
        return double.IsFinite(value) ? value : throw new FormatException($"{where}: {value} is not a finite number.");
    }

    private static int[] ReadArgsStructure(ref MsgPackSpanReader reader, string where)
    {
        // ((b"__T0", b"__T1", ...), {}): the (args, kwargs) pair with every tensor replaced by its marker.
        var pair = ReadTuple(ref reader, where, out var pairCount);
        if (pairCount != 2)
        {
            throw new FormatException($"{where}: a tuple of {pairCount} elements, not (args, kwargs).");
        }

        var args = ReadTuple(ref pair, where, out var argCount);
        if (argCount > MaxTensors)
        {
            throw new FormatException($"{where}: {argCount} positional arguments, more than {MaxTensors}.");
        }

        var indices = new int[argCount];
        for (var i = 0; i < argCount; i++)
        {
            indices[i] = ReadTensorMarker(ref args, where);
        }

        if (!args.End)
        {
            throw new FormatException($"{where}: bytes after the positional arguments.");
        }

        if (pair.ReadMapHeader($"{where} kwargs") != 0)
        {
            throw new FormatException($"{where}: keyword arguments are not supported.");
        }

        return pair.End ? indices : throw new FormatException($"{where}: bytes after (args, kwargs).");
    }

    private static MsgPackSpanReader ReadTuple(ref MsgPackSpanReader reader, string where, out int count)
    {
        var payload = reader.ReadExt(where, out var type);
        if (type != MsgPackSpanReader.TupleExtType)
        {
            throw new FormatException($"{where}: ext type {type}, not a tuple (ext {MsgPackSpanReader.TupleExtType}).");
        }

        var inner = new MsgPackSpanReader(payload);
        count = inner.ReadArrayHeader(where);
        return inner;
    }

    private static int ReadTensorMarker(ref MsgPackSpanReader reader, string where)
    {
        var code = reader.Peek(where);
        if (code is not (0xc4 or 0xc5 or 0xc6))
        {
            throw new FormatException($"{where}: a {MsgPackSpanReader.KindOf(code)} argument, not a tensor marker (bin \"__T<n>\").");
        }

        var marker = reader.ReadBin(where);
        var digits = marker.Length > TensorMarker.Length && marker.Length <= TensorMarker.Length + 3
            && marker[0] == '_' && marker[1] == '_' && marker[2] == 'T'
            ? marker[TensorMarker.Length..]
            : [];
        if (digits.IsEmpty || (digits[0] == '0' && digits.Length > 1))
        {
            throw new FormatException($"{where}: '{Printable(marker)}' is not a tensor marker (\"__T<n>\").");
        }

        var index = 0;
        foreach (var digit in digits)
        {
            if (digit is < (byte)'0' or > (byte)'9')
            {
                throw new FormatException($"{where}: '{Printable(marker)}' is not a tensor marker (\"__T<n>\").");
            }

            index = (index * 10) + (digit - '0');
        }

        return index < MaxTensors
            ? index
            : throw new FormatException($"{where}: tensor index {index} is not below {MaxTensors}.");
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var length = Math.Min(bytes.Length, 32);
        var builder = new StringBuilder(length);
        foreach (var b in bytes[..length])
        {
            builder.Append(b is >= 0x20 and < 0x7f ? (char)b : '?');
        }

        return builder.ToString();
    }

    private static NextServer[] ReadNextServers(ref MsgPackSpanReader reader, string where)
    {
        var count = reader.ReadArrayHeader(where);
        if (count > MaxNextServers)
        {
            throw new FormatException($"{where}: {count} servers, more than {MaxNextServers}.");
        }

        var servers = new NextServer[count];
        for (var i = 0; i < count; i++)
        {
            var itemWhere = $"{where}[{i.ToString(CultureInfo.InvariantCulture)}]";
            var tuple = ReadTuple(ref reader, itemWhere, out var fields);
            if (fields != 4)
            {
                throw new FormatException($"{itemWhere}: a tuple of {fields} elements, not (peer_id, session_id, start, end).");
            }

            var peerId = ReadString(ref tuple, itemWhere);
            var sessionId = ReadString(ref tuple, itemWhere);
            var start = ReadBoundedInt(ref tuple, 0, int.MaxValue, itemWhere);
            var end = ReadBoundedInt(ref tuple, 0, int.MaxValue, itemWhere);
            if (end <= start)
            {
                throw new FormatException($"{itemWhere}: end {end} is not after start {start}.");
            }

            servers[i] = tuple.End
                ? new NextServer(peerId, sessionId, start, end)
                : throw new FormatException($"{itemWhere}: bytes after the tuple's elements.");
        }

        return servers;
    }

    private static int[] ReadOutputCompression(ref MsgPackSpanReader reader, string where)
    {
        // A list or a tuple of ints (CompressionType values).
        if (reader.Peek(where) is 0xc7 or 0xc8 or 0xc9 or (>= 0xd4 and <= 0xd8))
        {
            var tuple = ReadTuple(ref reader, where, out var tupleCount);
            return ReadCompressionValues(ref tuple, tupleCount, where);
        }

        var count = reader.ReadArrayHeader(where);
        return ReadCompressionValues(ref reader, count, where);
    }

    private static int[] ReadCompressionValues(ref MsgPackSpanReader reader, int count, string where)
    {
        if (count > MaxOutputCompression)
        {
            throw new FormatException($"{where}: {count} entries, more than {MaxOutputCompression}.");
        }

        var values = new int[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ReadBoundedInt(ref reader, 0, byte.MaxValue, where);
        }

        return values;
    }

    private static void WriteArgsStructure(DhtMsgPackWriter w, IReadOnlyList<int>? indices)
    {
        if (indices is null)
        {
            return;
        }

        w.Write(ArgsStructureKey);
        WriteArgsStructureValue(w, indices);
    }

    private static void WriteArgsStructureValue(DhtMsgPackWriter w, IReadOnlyList<int> indices) =>
        w.WriteTuple(2, pair =>
        {
            pair.WriteTuple(indices.Count, args =>
            {
                foreach (var index in indices)
                {
                    args.WriteBin(Encoding.ASCII.GetBytes(TensorMarker + index.ToString(CultureInfo.InvariantCulture)));
                }
            });
            pair.WriteMapHeader(0);
        });

    private static void WriteStr(DhtMsgPackWriter w, string key, string? value)
    {
        if (value is not null)
        {
            w.Write(key);
            w.Write(value);
        }
    }

    private static void WriteInt(DhtMsgPackWriter w, string key, int? value)
    {
        if (value is { } v)
        {
            w.Write(key);
            w.Write(v);
        }
    }

    private static void WriteFloat(DhtMsgPackWriter w, string key, double? value)
    {
        if (value is { } v)
        {
            w.Write(key);
            w.Write(v);
        }
    }

    private static int Count<T>(T? value) => value is null ? 0 : 1;

    private static void CheckReadable(byte[] bytes, Action<byte[]> decode)
    {
        try
        {
            decode(bytes);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"The metadata would not be readable: {e.Message}", e);
        }
    }
}
