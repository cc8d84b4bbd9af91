// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Text;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Reads and writes a <see cref="ServerInfo"/> as the value bytes of a DHT record: <c>Ext(0x40, msgpack([state,
/// throughput, {fields}]))</c>, a Python tuple as hivemind's <c>MSGPackSerializer</c> writes it (petals
/// <c>ServerInfo.to_tuple</c>; upstream KwaaiNet <c>DHTServerInfo::to_msgpack</c>). docs/records.md §3 is the
/// contract: field order, msgpack types, and the reading rules. Decoding is bounded by <see cref="ServerInfoLimits"/>
/// and strict about types (floats where Petals demands floats, ints where it demands ints), so the map shows exactly
/// the servers a strict Petals reader accepts; only the state is read leniently (<c>-1</c> and unknown values are
/// <see cref="ServerState.Offline"/>).
/// </summary>
public static class ServerInfoCodec
{
    private const string StartBlockKey = "start_block";
    private const string EndBlockKey = "end_block";
    private const string PublicNameKey = "public_name";
    private const string VersionKey = "version";
    private const string NetworkRpsKey = "network_rps";
    private const string ForwardRpsKey = "forward_rps";
    private const string InferenceRpsKey = "inference_rps";
    private const string TorchDtypeKey = "torch_dtype";
    private const string QuantTypeKey = "quant_type";
    private const string UsingRelayKey = "using_relay";
    private const string CacheTokensLeftKey = "cache_tokens_left";
    private const string AdaptersKey = "adapters";
    private const string NextPingsKey = "next_pings";
    private const string PeerIdKey = "peer_id";
    private const string TrustAttestationsKey = "trust_attestations";
    private const string CarbonKey = "aspire_carbon";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The field names this codec reads into typed properties; any other name is an unknown field.</summary>
    public static IReadOnlySet<string> KnownFields { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        StartBlockKey, EndBlockKey, PublicNameKey, VersionKey, NetworkRpsKey, ForwardRpsKey, InferenceRpsKey,
        TorchDtypeKey, QuantTypeKey, UsingRelayKey, CacheTokensLeftKey, AdaptersKey, NextPingsKey, PeerIdKey,
        TrustAttestationsKey, CarbonKey,
    };

    /// <summary>
    /// The value bytes of <paramref name="info"/>. Present fields are written in the order of docs/records.md §3, then
    /// <see cref="ServerInfo.UnknownFields"/> unchanged; ints in their smallest form, floats as float64.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="info"/> breaks a rule of docs/records.md §3 (a state
    /// outside the enum, a negative or non-finite throughput, <c>end_block</c> not after <c>start_block</c>, a value
    /// over <see cref="ServerInfoLimits"/>, an unknown field that is a known name or not one msgpack object): a strict
    /// reader would reject the record.</exception>
    public static byte[] Encode(ServerInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (!Enum.IsDefined(info.State))
        {
            throw new ArgumentException($"State {(int)info.State} is not a Petals ServerState (0, 1 or 2).", nameof(info));
        }

        foreach (var (name, _) in info.UnknownFields)
        {
            if (KnownFields.Contains(name))
            {
                throw new ArgumentException($"Unknown field '{name}' has the name of a known field; set the property instead.", nameof(info));
            }
        }

        byte[] bytes;
        try
        {
            bytes = DhtMsgPack.Write(w => w.WriteTuple(3, t =>
            {
                t.Write((long)info.State);
                t.Write(info.Throughput);
                WriteFields(t, info);
            }));
        }
        catch (InvalidOperationException e)
        {
            // The tuple check failed (an unknown field that is not one msgpack object fails earlier, as an ArgumentException).
            throw new ArgumentException($"The ServerInfo cannot be written: {e.Message}", nameof(info), e);
        }

        // What we write must be what every strict reader, this one included, accepts.
        try
        {
            _ = Decode(bytes);
        }
        catch (ServerInfoFormatException e)
        {
            throw new ArgumentException($"The ServerInfo would not be readable: {e.Message}", nameof(info), e);
        }

        return bytes;
    }

    /// <summary>Reads a ServerInfo value.</summary>
    /// <exception cref="ServerInfoFormatException"><paramref name="value"/> is not a ServerInfo as docs/records.md §3
    /// describes it; the message names the field and the reason.</exception>
    public static ServerInfo Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length > ServerInfoLimits.MaxValueBytes)
        {
            throw new ServerInfoFormatException($"ServerInfo: {value.Length} bytes, more than {ServerInfoLimits.MaxValueBytes}.");
        }

        try
        {
            return DecodeTuple(value);
        }
        catch (DhtValueFormatException e)
        {
            throw new ServerInfoFormatException(e.Message, e);
        }
    }

    /// <summary>Reads a ServerInfo value; false, with the reason in <paramref name="error"/>, when it is not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, out ServerInfo? info, out string? error)
    {
        try
        {
            info = Decode(value);
            error = null;
            return true;
        }
        catch (ServerInfoFormatException e)
        {
            info = null;
            error = e.Message;
            return false;
        }
    }

    private static void WriteFields(DhtMsgPackWriter w, ServerInfo info)
    {
        var count = Count(info.StartBlock) + Count(info.EndBlock) + Count(info.PublicName) + Count(info.Version)
            + Count(info.NetworkRps) + Count(info.ForwardRps) + Count(info.InferenceRps) + Count(info.TorchDtype)
            + Count(info.QuantType) + Count(info.UsingRelay) + Count(info.CacheTokensLeft) + Count(info.Adapters)
            + Count(info.NextPings) + Count(info.PeerId) + (info.TrustAttestations.Count > 0 ? 1 : 0)
            + Count(info.Carbon) + info.UnknownFields.Count;
        w.WriteMapHeader(count);
        WriteInt(w, StartBlockKey, info.StartBlock);
        WriteInt(w, EndBlockKey, info.EndBlock);
        WriteStr(w, PublicNameKey, info.PublicName);
        WriteStr(w, VersionKey, info.Version);
        WriteFloat(w, NetworkRpsKey, info.NetworkRps);
        WriteFloat(w, ForwardRpsKey, info.ForwardRps);
        WriteFloat(w, InferenceRpsKey, info.InferenceRps);
        WriteStr(w, TorchDtypeKey, info.TorchDtype);
        WriteStr(w, QuantTypeKey, info.QuantType);
        if (info.UsingRelay is { } usingRelay)
        {
            w.Write(UsingRelayKey);
            w.Write(usingRelay);
        }

        WriteInt(w, CacheTokensLeftKey, info.CacheTokensLeft);
        if (info.Adapters is { } adapters)
        {
            w.Write(AdaptersKey);
            WriteStrArray(w, adapters);
        }

        if (info.NextPings is { } nextPings)
        {
            w.Write(NextPingsKey);
            w.WriteMapHeader(nextPings.Count);
            foreach (var (peer, rtt) in nextPings)
            {
                w.Write(peer);
                w.Write(rtt);
            }
        }

        WriteStr(w, PeerIdKey, info.PeerId);
        if (info.TrustAttestations.Count > 0)
        {
            w.Write(TrustAttestationsKey);
            WriteStrArray(w, info.TrustAttestations);
        }

        if (info.Carbon is { } carbon)
        {
            w.Write(CarbonKey);
            WriteCarbon(w, carbon);
        }

        foreach (var (name, bytes) in info.UnknownFields)
        {
            w.Write(name);
            w.WriteEncoded(bytes.Span);
        }
    }

    private static void WriteCarbon(DhtMsgPackWriter w, ServerCarbon carbon)
    {
        w.WriteMapHeader(3 + Count(carbon.EnergyJoules) + Count(carbon.AveragePowerWatts));
        w.Write("measured");
        w.Write(carbon.Measured);
        w.Write("source");
        w.Write(carbon.Source);
        WriteFloat(w, "energy_joules", carbon.EnergyJoules);
        WriteFloat(w, "average_power_watts", carbon.AveragePowerWatts);
        w.Write("recorded_at");
        w.Write(carbon.RecordedAt.ToUnixTimeMilliseconds() / 1000.0);
    }

    private static int Count(object? value) => value is null ? 0 : 1;

    private static void WriteInt(DhtMsgPackWriter w, string name, long? value)
    {
        if (value is { } v)
        {
            w.Write(name);
            w.Write(v);
        }
    }

    private static void WriteFloat(DhtMsgPackWriter w, string name, double? value)
    {
        if (value is { } v)
        {
            w.Write(name);
            w.Write(v);
        }
    }

    private static void WriteStr(DhtMsgPackWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.Write(name);
            w.Write(value);
        }
    }

    private static void WriteStrArray(DhtMsgPackWriter w, IReadOnlyList<string> values)
    {
        w.WriteArrayHeader(values.Count);
        foreach (var value in values)
        {
            w.Write(value);
        }
    }

    private static ServerInfo DecodeTuple(ReadOnlySpan<byte> value)
    {
        var outer = new MsgPackSpanReader(value);
        var payload = outer.ReadExt("ServerInfo", out var type);
        if (type != MsgPackSpanReader.TupleExtType)
        {
            throw new ServerInfoFormatException($"ServerInfo: ext type 0x{(byte)type:x2}, expected the tuple ext 0x40.");
        }

        if (!outer.End)
        {
            throw new ServerInfoFormatException($"ServerInfo: {outer.Remaining} trailing bytes after the tuple.");
        }

        var reader = new MsgPackSpanReader(payload);
        var elements = reader.ReadArrayHeader("ServerInfo tuple");
        if (elements is < 2 or > 3)
        {
            throw new ServerInfoFormatException($"ServerInfo tuple: {elements} elements, expected (state, throughput[, fields]).");
        }

        var state = reader.ReadInteger("ServerInfo state") switch
        {
            1 => ServerState.Joining,
            2 => ServerState.Online,

            // 0, upstream KwaaiNet's shutdown value -1, and values no reader knows.
            _ => ServerState.Offline,
        };
        var throughput = ReadRate(ref reader, "throughput");
        var info = new ServerInfo { State = state, Throughput = throughput };
        if (elements == 3)
        {
            info = ReadFields(ref reader, info);
        }

        if (!reader.End)
        {
            throw new ServerInfoFormatException($"ServerInfo: {reader.Remaining} trailing bytes inside the tuple.");
        }

        return info;
    }

    private static ServerInfo ReadFields(ref MsgPackSpanReader reader, ServerInfo info)
    {
        var count = reader.ReadMapHeader("ServerInfo fields");
        if (count > ServerInfoLimits.MaxFields)
        {
            throw new ServerInfoFormatException($"ServerInfo fields: {count} entries, more than {ServerInfoLimits.MaxFields}.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var unknown = new OrderedDictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref reader, "ServerInfo field name", ServerInfoLimits.MaxStringBytes);
            if (!seen.Add(name))
            {
                throw new ServerInfoFormatException($"ServerInfo field '{Shown(name)}' appears twice.");
            }

            if (!KnownFields.Contains(name))
            {
                var raw = reader.ReadObject(ServerInfoLimits.MaxUnknownFieldDepth, hashable: false, $"ServerInfo field '{Shown(name)}'");
                unknown.Add(name, raw.ToArray());
                continue;
            }

            // Petals writes every absent Optional field as nil.
            if (reader.TryReadNil())
            {
                continue;
            }

            info = name switch
            {
                StartBlockKey => info with { StartBlock = ReadBlock(ref reader, name) },
                EndBlockKey => info with { EndBlock = ReadBlock(ref reader, name) },
                PublicNameKey => info with { PublicName = ReadString(ref reader, Where(name), ServerInfoLimits.MaxStringBytes) },
                VersionKey => info with { Version = ReadString(ref reader, Where(name), ServerInfoLimits.MaxStringBytes) },
                NetworkRpsKey => info with { NetworkRps = ReadRate(ref reader, name) },
                ForwardRpsKey => info with { ForwardRps = ReadRate(ref reader, name) },
                InferenceRpsKey => info with { InferenceRps = ReadRate(ref reader, name) },
                TorchDtypeKey => info with { TorchDtype = ReadString(ref reader, Where(name), ServerInfoLimits.MaxStringBytes) },
                QuantTypeKey => info with { QuantType = ReadString(ref reader, Where(name), ServerInfoLimits.MaxStringBytes) },
                UsingRelayKey => info with { UsingRelay = reader.ReadBool(Where(name)) },
                CacheTokensLeftKey => info with { CacheTokensLeft = ReadNonNegative(ref reader, name) },
                AdaptersKey => info with { Adapters = ReadStrings(ref reader, name, ServerInfoLimits.MaxAdapters, ServerInfoLimits.MaxStringBytes) },
                NextPingsKey => info with { NextPings = ReadNextPings(ref reader) },
                PeerIdKey => info with { PeerId = ReadString(ref reader, Where(name), ServerInfoLimits.MaxStringBytes) },
                TrustAttestationsKey => info with
                {
                    TrustAttestations = ReadStrings(ref reader, name, ServerInfoLimits.MaxTrustAttestations, ServerInfoLimits.MaxTrustAttestationBytes),
                },
                CarbonKey => info with { Carbon = ReadCarbon(ref reader) },
                _ => throw new UnreachableException($"Known field '{name}' has no reader."),
            };
        }

        if (info is { StartBlock: { } start, EndBlock: { } end } && end <= start)
        {
            throw new ServerInfoFormatException($"ServerInfo: end_block {end} is not after start_block {start}.");
        }

        return unknown.Count == 0 ? info : info with { UnknownFields = unknown };
    }

    private static int ReadBlock(ref MsgPackSpanReader reader, string name)
    {
        var value = reader.ReadInteger(Where(name));
        return value is >= 0 and <= ServerInfoLimits.MaxBlock
            ? (int)value
            : throw new ServerInfoFormatException($"{Where(name)} is {value}, outside 0..{ServerInfoLimits.MaxBlock}.");
    }

    private static long ReadNonNegative(ref MsgPackSpanReader reader, string name)
    {
        var value = reader.ReadInteger(Where(name));
        return value >= 0 ? value : throw new ServerInfoFormatException($"{Where(name)} is {value}, below 0.");
    }

    private static double ReadRate(ref MsgPackSpanReader reader, string name)
    {
        var value = reader.ReadFloat(Where(name));
        return double.IsFinite(value) && value >= 0
            ? value
            : throw new ServerInfoFormatException($"{Where(name)} is {value}; Petals requires a finite rate of at least 0.");
    }

    private static string ReadString(ref MsgPackSpanReader reader, string where, int maxBytes)
    {
        var bytes = reader.ReadStr(where);
        return bytes.Length <= maxBytes
            ? StrictUtf8.GetString(bytes)
            : throw new ServerInfoFormatException($"{where}: a str of {bytes.Length} bytes, more than {maxBytes}.");
    }

    private static string[] ReadStrings(ref MsgPackSpanReader reader, string name, int maxCount, int maxBytes)
    {
        // Upstream KwaaiNet writes an array; Python writes a tuple (Ext 0x40 around an array). Both are read.
        var where = Where(name);
        if (reader.Peek(where) is 0xc7 or 0xc8 or 0xc9 or (>= 0xd4 and <= 0xd8))
        {
            var payload = reader.ReadExt(where, out var type);
            if (type != MsgPackSpanReader.TupleExtType)
            {
                throw new ServerInfoFormatException($"{where}: ext type 0x{(byte)type:x2}, expected an array or a tuple.");
            }

            var inner = new MsgPackSpanReader(payload);
            var values = ReadStringElements(ref inner, where, maxCount, maxBytes);
            return inner.End ? values : throw new ServerInfoFormatException($"{where}: trailing bytes after the tuple's array.");
        }

        return ReadStringElements(ref reader, where, maxCount, maxBytes);
    }

    private static string[] ReadStringElements(ref MsgPackSpanReader reader, string where, int maxCount, int maxBytes)
    {
        var count = reader.ReadArrayHeader(where);
        if (count > maxCount)
        {
            throw new ServerInfoFormatException($"{where}: {count} entries, more than {maxCount}.");
        }

        var values = new string[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = ReadString(ref reader, $"{where}[{i}]", maxBytes);
        }

        return values;
    }

    private static OrderedDictionary<string, double> ReadNextPings(ref MsgPackSpanReader reader)
    {
        var where = Where(NextPingsKey);
        var count = reader.ReadMapHeader(where);
        if (count > ServerInfoLimits.MaxNextPings)
        {
            throw new ServerInfoFormatException($"{where}: {count} entries, more than {ServerInfoLimits.MaxNextPings}.");
        }

        var pings = new OrderedDictionary<string, double>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var peer = ReadString(ref reader, $"{where} key", ServerInfoLimits.MaxStringBytes);
            var rtt = reader.ReadFloat($"{where}['{Shown(peer)}']");

            // Petals: confloat(ge=0, strict=True), which lets +inf through (an unreachable peer).
            if (double.IsNaN(rtt) || rtt < 0)
            {
                throw new ServerInfoFormatException($"{where}['{Shown(peer)}'] is {rtt}; an RTT is at least 0.");
            }

            if (!pings.TryAdd(peer, rtt))
            {
                throw new ServerInfoFormatException($"{where}: peer '{Shown(peer)}' appears twice.");
            }
        }

        return pings;
    }

    private static ServerCarbon ReadCarbon(ref MsgPackSpanReader reader)
    {
        var where = Where(CarbonKey);
        var count = reader.ReadMapHeader(where);
        if (count > ServerInfoLimits.MaxFields)
        {
            throw new ServerInfoFormatException($"{where}: {count} entries, more than {ServerInfoLimits.MaxFields}.");
        }

        bool? measured = null;
        string? source = null;
        double? energy = null;
        double? power = null;
        double? recordedAt = null;
        for (var i = 0; i < count; i++)
        {
            var key = ReadString(ref reader, $"{where} key", ServerInfoLimits.MaxStringBytes);
            var at = $"{where}.{Shown(key)}";
            switch (key)
            {
                case "measured":
                    measured = reader.ReadBool(at);
                    break;
                case "source":
                    source = ReadString(ref reader, at, ServerInfoLimits.MaxCarbonSourceBytes);
                    break;
                case "energy_joules":
                    energy = ReadFiniteNonNegative(ref reader, at);
                    break;
                case "average_power_watts":
                    power = ReadFiniteNonNegative(ref reader, at);
                    break;
                case "recorded_at":
                    recordedAt = reader.ReadFloat(at);
                    break;
                default:
                    // A later version's key: skipped (bounded like an unknown field), so an older reader still shows the rest.
                    reader.ReadObject(ServerInfoLimits.MaxUnknownFieldDepth, hashable: false, at);
                    break;
            }
        }

        if (measured is null || source is null || recordedAt is null)
        {
            throw new ServerInfoFormatException($"{where} lacks one of measured, source, recorded_at.");
        }

        // DateTimeOffset covers years 1..9999: Unix seconds from -62135596800 to 253402300799.
        if (!double.IsFinite(recordedAt.Value) || recordedAt.Value < -62_135_596_800 || recordedAt.Value > 253_402_300_799)
        {
            throw new ServerInfoFormatException($"{where}.recorded_at is {recordedAt.Value}, not a time.");
        }

        return new ServerCarbon(measured.Value, source, energy, power, DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(recordedAt.Value * 1000)));
    }

    private static double ReadFiniteNonNegative(ref MsgPackSpanReader reader, string where)
    {
        var value = reader.ReadFloat(where);
        return double.IsFinite(value) && value >= 0
            ? value
            : throw new ServerInfoFormatException($"{where} is {value}; expected a finite value of at least 0.");
    }

    private static string Where(string name) => $"ServerInfo field '{name}'";

    // Names come from peers: messages show at most 64 characters of them.
    private static string Shown(string name) => name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 64), "…");
}
