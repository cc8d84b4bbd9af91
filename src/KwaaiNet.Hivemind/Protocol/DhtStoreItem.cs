// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// One item of a store, as <c>rpc_store</c> carries it. <see cref="Subkey"/> is the tag: <see cref="DhtMsgPack.RegularValueTag"/>
/// for a regular value, the msgpack encoding of a subkey for one dictionary entry, or empty
/// (<see cref="DhtMsgPack.DictionaryTag"/>) when <see cref="Value"/> is a whole <c>Ext 0x50</c> dictionary.
/// </summary>
public sealed record DhtStoreItem(DhtId Key, ReadOnlyMemory<byte> Subkey, ReadOnlyMemory<byte> Value, double ExpirationTime, bool InCache = false)
{
    /// <summary>True when this item stores a regular value.</summary>
    public bool IsRegular => Subkey.Span.SequenceEqual(DhtMsgPack.RegularValueTag.Span);

    /// <summary>True when this item stores a whole dictionary.</summary>
    public bool IsWholeDictionary => Subkey.IsEmpty;
}

/// <summary>What one peer answered to <c>rpc_find</c> for one key: the value it holds (or null) and its nearest nodes.</summary>
public sealed record DhtFindAnswer(DhtItem? Item, IReadOnlyList<DhtPeer> Nearest);

/// <summary>A DHT node: its 160-bit node id and the libp2p peer that runs it.</summary>
public readonly record struct DhtPeer(DhtId NodeId, PeerId PeerId);

/// <summary>A request that breaks hivemind's rules (malformed protobuf, misaligned lists, a bad value): nothing is stored.</summary>
public sealed class DhtRequestException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DhtRequestException()
    {
    }

    /// <summary>Creates the exception with a reason.</summary>
    public DhtRequestException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a reason and its cause.</summary>
    public DhtRequestException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
