// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using Nerdbank.MessagePack;

namespace KwaaiNet.Hivemind.Routing;

/// <summary>
/// A 160-bit id in hivemind's DHT keyspace (hivemind/dht/routing.py <c>DHTID</c>), compared by XOR distance. A key's
/// id is SHA-1 of the key as <c>MSGPackSerializer</c> writes it; a node's id is random, never derived from its peer
/// id, and a remote node's id is read from its messages (<c>NodeInfo.node_id</c>, <c>nearest_node_ids</c>).
/// </summary>
public readonly struct DhtId : IEquatable<DhtId>, IComparable<DhtId>
{
    /// <summary>The id's length in bytes (<c>DHTID.to_bytes()</c>, big-endian).</summary>
    public const int Length = 20;

    private readonly ulong _high;
    private readonly ulong _middle;
    private readonly uint _low;

    private DhtId(ulong high, ulong middle, uint low)
    {
        _high = high;
        _middle = middle;
        _low = low;
    }

    /// <summary>The id of a raw DHT key: SHA-1 of its msgpack form (<c>DHTID.generate(source=key)</c>).</summary>
    public static DhtId FromMsgPackKey(ReadOnlySpan<byte> msgpackKey)
    {
        Span<byte> hash = stackalloc byte[Length];
#pragma warning disable CA5350 // SHA-1 is the keyspace hivemind defines (DHTID.HASH_FUNC); it is an id, not a security boundary.
        SHA1.HashData(msgpackKey, hash);
#pragma warning restore CA5350
        return FromBytes(hash);
    }

    /// <summary>The id of a string key, such as <c>_petals.models</c> or <c>Llama-3-1-8B-Instruct-hf.0</c>.</summary>
    public static DhtId FromKey(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var buffer = new ArrayBufferWriter<byte>(key.Length + 8);
        var writer = new MessagePackWriter(buffer);
        writer.Write(key);
        writer.Flush();
        return FromMsgPackKey(buffer.WrittenSpan);
    }

    /// <summary>A random id, as hivemind's <c>DHTNode</c> picks its own (<c>DHTID.generate()</c> without a source).</summary>
    public static DhtId Random()
    {
        Span<byte> bytes = stackalloc byte[Length];
        RandomNumberGenerator.Fill(bytes);
        return FromBytes(bytes);
    }

    /// <summary>Reads an id from exactly 20 big-endian bytes.</summary>
    /// <exception cref="FormatException">The input is not 20 bytes.</exception>
    public static DhtId FromBytes(ReadOnlySpan<byte> bytes) =>
        TryFromBytes(bytes, out var id) ? id : throw new FormatException($"A DHT id is {Length} bytes, not {bytes.Length}.");

    /// <summary>Reads an id from exactly 20 big-endian bytes; false for any other length.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, out DhtId id)
    {
        if (bytes.Length != Length)
        {
            id = default;
            return false;
        }

        id = new DhtId(
            BinaryPrimitives.ReadUInt64BigEndian(bytes),
            BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]));
        return true;
    }

    /// <summary>The XOR distance to <paramref name="other"/>, itself a 160-bit number.</summary>
    public DhtId DistanceTo(DhtId other) => new(_high ^ other._high, _middle ^ other._middle, _low ^ other._low);

    /// <summary>Writes the 20 big-endian bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, Length);
        BinaryPrimitives.WriteUInt64BigEndian(destination, _high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _middle);
        BinaryPrimitives.WriteUInt32BigEndian(destination[16..], _low);
    }

    /// <summary>The 20 big-endian bytes.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[Length];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Orders ids as the unsigned 160-bit numbers they are.</summary>
    public int CompareTo(DhtId other) =>
        _high != other._high ? _high.CompareTo(other._high)
        : _middle != other._middle ? _middle.CompareTo(other._middle)
        : _low.CompareTo(other._low);

    public bool Equals(DhtId other) => _high == other._high && _middle == other._middle && _low == other._low;

    public override bool Equals(object? obj) => obj is DhtId other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(_high, _middle, _low);

    /// <summary>Lower-case hex of the 20 bytes.</summary>
    public override string ToString() => Convert.ToHexStringLower(ToBytes());

    public static bool operator ==(DhtId left, DhtId right) => left.Equals(right);

    public static bool operator !=(DhtId left, DhtId right) => !left.Equals(right);

    public static bool operator <(DhtId left, DhtId right) => left.CompareTo(right) < 0;

    public static bool operator >(DhtId left, DhtId right) => left.CompareTo(right) > 0;

    public static bool operator <=(DhtId left, DhtId right) => left.CompareTo(right) <= 0;

    public static bool operator >=(DhtId left, DhtId right) => left.CompareTo(right) >= 0;
}
