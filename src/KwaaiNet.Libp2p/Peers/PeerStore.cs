// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Libp2p.Peers;

/// <summary>
/// What the node knows about other peers: their addresses (each with its own expiry), supported protocols,
/// reported agent and protocol versions, and public keys. Thread-safe; time comes from the injected
/// <see cref="TimeProvider"/>, and expired addresses are dropped whenever the peer is read or written.
/// </summary>
/// <remarks>
/// Much of this comes from remote peers (identify, kad), so everything is bounded: at most
/// <see cref="MaxAddressesPerPeer"/> addresses and <see cref="MaxProtocolsPerPeer"/> protocols per peer, protocol ids
/// of at most <see cref="MaxProtocolIdLength"/> characters, versions of at most <see cref="MaxVersionLength"/>, and at
/// most <c>maxPeers</c> peers (default <see cref="DefaultMaxPeers"/>). What does not fit is dropped as documented on
/// each method, never thrown: a peer over a limit loses information, the node keeps running. When a new peer would
/// exceed the peer limit, the least recently updated peer is evicted.
/// </remarks>
public sealed class PeerStore
{
    /// <summary>Most addresses kept per peer; go-libp2p peers announce a handful, rarely more than 20.</summary>
    public const int MaxAddressesPerPeer = 64;

    /// <summary>Most protocol ids kept per peer.</summary>
    public const int MaxProtocolsPerPeer = 128;

    /// <summary>Longest protocol id kept, in characters; real ids (<c>/ipfs/kad/1.0.0</c>) are a few dozen.</summary>
    public const int MaxProtocolIdLength = 1024;

    /// <summary>Longest agent or protocol version kept, in characters; longer ones are truncated.</summary>
    public const int MaxVersionLength = 1024;

    /// <summary>Default limit on the number of peers.</summary>
    public const int DefaultMaxPeers = 10_000;

    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider;
    private readonly int _maxPeers;
    private readonly Dictionary<PeerId, LinkedListNode<Entry>> _peers = [];

    // Peers in order of their last update, least recent first: the head is the one evicted.
    private readonly LinkedList<Entry> _byUpdate = new();

    /// <summary>Creates an empty store.</summary>
    /// <param name="timeProvider">The clock for address expiry and update times.</param>
    /// <param name="maxPeers">Most peers kept (default <see cref="DefaultMaxPeers"/>).</param>
    public PeerStore(TimeProvider timeProvider, int maxPeers = DefaultMaxPeers)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPeers, 1);
        _timeProvider = timeProvider;
        _maxPeers = maxPeers;
    }

    /// <summary>How many peers are stored.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _peers.Count;
            }
        }
    }

    /// <summary>Every stored peer, least recently updated first.</summary>
    public IReadOnlyList<PeerId> Peers
    {
        get
        {
            lock (_lock)
            {
                var result = new List<PeerId>(_peers.Count);
                foreach (var entry in _byUpdate)
                {
                    result.Add(entry.PeerId);
                }

                return result;
            }
        }
    }

    /// <summary>
    /// Adds addresses for <paramref name="peerId"/>, each expiring after <paramref name="ttl"/>
    /// (<see cref="Timeout.InfiniteTimeSpan"/> or <see cref="TimeSpan.MaxValue"/>: never). Re-adding a known address
    /// extends its expiry, never shortens it. A trailing <c>/p2p/&lt;peerId&gt;</c> is removed before storing; an address
    /// ending in another peer's id, or consisting of a peer id only, is skipped. When the peer already has
    /// <see cref="MaxAddressesPerPeer"/> addresses, the ones that expire first give way to ones that expire later.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="ttl"/> is zero or negative (other than infinite).</exception>
    public void AddAddresses(PeerId peerId, IEnumerable<Multiaddr> addresses, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(addresses);
        if (ttl <= TimeSpan.Zero && ttl != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "An address time-to-live must be positive or infinite.");
        }

        var normalized = new List<Multiaddr>();
        foreach (var address in addresses)
        {
            if (address is not null && TryNormalize(peerId, address, out var stored))
            {
                normalized.Add(stored);
            }
        }

        lock (_lock)
        {
            var now = _timeProvider.GetUtcNow();
            var expires = ttl == Timeout.InfiniteTimeSpan || ttl >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + ttl;
            var entry = Touch(peerId, now);
            entry.RemoveExpiredAddresses(now);
            foreach (var address in normalized)
            {
                entry.AddAddress(address, expires);
            }
        }
    }

    /// <summary>The unexpired addresses of <paramref name="peerId"/> (empty when unknown), oldest first.</summary>
    public IReadOnlyList<Multiaddr> GetAddresses(PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            if (!_peers.TryGetValue(peerId, out var node))
            {
                return [];
            }

            node.Value.RemoveExpiredAddresses(_timeProvider.GetUtcNow());
            return node.Value.CopyAddresses();
        }
    }

    /// <summary>
    /// Replaces the protocols of <paramref name="peerId"/> (as identify reports the full list). Empty ids and ids over
    /// <see cref="MaxProtocolIdLength"/> characters are skipped; after <see cref="MaxProtocolsPerPeer"/> distinct ids the
    /// rest are dropped.
    /// </summary>
    public void SetProtocols(PeerId peerId, IEnumerable<string> protocols)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(protocols);
        var valid = CollectProtocols(protocols);
        lock (_lock)
        {
            var entry = Touch(peerId, _timeProvider.GetUtcNow());
            entry.Protocols.Clear();
            entry.AddProtocols(valid);
        }
    }

    /// <summary>Adds protocols to those of <paramref name="peerId"/>, with the limits of <see cref="SetProtocols"/>.</summary>
    public void AddProtocols(PeerId peerId, IEnumerable<string> protocols)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(protocols);
        var valid = CollectProtocols(protocols);
        lock (_lock)
        {
            Touch(peerId, _timeProvider.GetUtcNow()).AddProtocols(valid);
        }
    }

    /// <summary>The protocols of <paramref name="peerId"/> in ordinal order (empty when unknown).</summary>
    public IReadOnlyList<string> GetProtocols(PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            return _peers.TryGetValue(peerId, out var node) ? node.Value.SortedProtocols() : [];
        }
    }

    /// <summary>True when <paramref name="peerId"/> is known to support <paramref name="protocol"/>.</summary>
    public bool SupportsProtocol(PeerId peerId, string protocol)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_lock)
        {
            return _peers.TryGetValue(peerId, out var node) && node.Value.Protocols.Contains(protocol);
        }
    }

    /// <summary>The peers known to support <paramref name="protocol"/>, least recently updated first.</summary>
    public IReadOnlyList<PeerId> PeersSupporting(string protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_lock)
        {
            var result = new List<PeerId>();
            foreach (var entry in _byUpdate)
            {
                if (entry.Protocols.Contains(protocol))
                {
                    result.Add(entry.PeerId);
                }
            }

            return result;
        }
    }

    /// <summary>Stores the agent version (identify <c>agentVersion</c>), truncated to <see cref="MaxVersionLength"/> characters.</summary>
    public void SetAgentVersion(PeerId peerId, string agentVersion)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(agentVersion);
        lock (_lock)
        {
            Touch(peerId, _timeProvider.GetUtcNow()).AgentVersion = Truncate(agentVersion);
        }
    }

    /// <summary>Stores the protocol version (identify <c>protocolVersion</c>), truncated to <see cref="MaxVersionLength"/> characters.</summary>
    public void SetProtocolVersion(PeerId peerId, string protocolVersion)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(protocolVersion);
        lock (_lock)
        {
            Touch(peerId, _timeProvider.GetUtcNow()).ProtocolVersion = Truncate(protocolVersion);
        }
    }

    /// <summary>
    /// Stores the public key of <paramref name="peerId"/>. Returns false, storing nothing, when the key is not the one
    /// the peer id was derived from (peer-ids.md §Peer Ids).
    /// </summary>
    public bool SetPublicKey(PeerId peerId, PublicKey publicKey)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        ArgumentNullException.ThrowIfNull(publicKey);
        if (!peerId.Matches(publicKey))
        {
            return false;
        }

        lock (_lock)
        {
            Touch(peerId, _timeProvider.GetUtcNow()).PublicKey = publicKey;
        }

        return true;
    }

    /// <summary>A snapshot of everything known about <paramref name="peerId"/>; false when the peer is unknown.</summary>
    public bool TryGet(PeerId peerId, [NotNullWhen(true)] out PeerRecord? record)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            if (!_peers.TryGetValue(peerId, out var node))
            {
                record = null;
                return false;
            }

            var entry = node.Value;
            entry.RemoveExpiredAddresses(_timeProvider.GetUtcNow());
            var publicKey = entry.PublicKey;
            if (publicKey is null && peerId.TryGetPublicKey(out var inlined))
            {
                publicKey = inlined;
            }

            record = new PeerRecord(
                peerId,
                entry.CopyAddresses(),
                entry.SortedProtocols(),
                entry.AgentVersion,
                entry.ProtocolVersion,
                publicKey,
                entry.LastUpdated);
            return true;
        }
    }

    /// <summary>Forgets <paramref name="peerId"/>; false when it was unknown.</summary>
    public bool Remove(PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        lock (_lock)
        {
            if (!_peers.Remove(peerId, out var node))
            {
                return false;
            }

            _byUpdate.Remove(node);
            return true;
        }
    }

    private static bool TryNormalize(PeerId peerId, Multiaddr address, [NotNullWhen(true)] out Multiaddr? stored)
    {
        stored = null;
        var id = address.PeerId;
        if (id is null)
        {
            stored = address;
        }
        else if (id == peerId && address.Components.Count > 1)
        {
            stored = address.WithoutPeerId();
        }

        return stored is not null;
    }

    // The valid, distinct ids, in order, enumerated outside the lock and no further than a peer can hold.
    private static List<string> CollectProtocols(IEnumerable<string> protocols)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var protocol in protocols)
        {
            if (!string.IsNullOrEmpty(protocol) && protocol.Length <= MaxProtocolIdLength && seen.Add(protocol))
            {
                result.Add(protocol);
                if (result.Count == MaxProtocolsPerPeer)
                {
                    break;
                }
            }
        }

        return result;
    }

    private static string Truncate(string value)
    {
        if (value.Length <= MaxVersionLength)
        {
            return value;
        }

        // Do not end on half of a surrogate pair.
        var length = char.IsHighSurrogate(value[MaxVersionLength - 1]) ? MaxVersionLength - 1 : MaxVersionLength;
        return value[..length];
    }

    // Finds or creates the peer's entry and marks it as the most recently updated; must hold _lock.
    private Entry Touch(PeerId peerId, DateTimeOffset now)
    {
        if (_peers.TryGetValue(peerId, out var node))
        {
            _byUpdate.Remove(node);
            _byUpdate.AddLast(node);
        }
        else
        {
            if (_peers.Count >= _maxPeers)
            {
                var oldest = _byUpdate.First!;
                _byUpdate.RemoveFirst();
                _peers.Remove(oldest.Value.PeerId);
            }

            node = _byUpdate.AddLast(new Entry(peerId));
            _peers.Add(peerId, node);
        }

        node.Value.LastUpdated = now;
        return node.Value;
    }

    private sealed class Entry(PeerId peerId)
    {
        private readonly List<(Multiaddr Address, DateTimeOffset Expires)> _addresses = [];

        public PeerId PeerId { get; } = peerId;

        public HashSet<string> Protocols { get; } = new(StringComparer.Ordinal);

        public string? AgentVersion { get; set; }

        public string? ProtocolVersion { get; set; }

        public PublicKey? PublicKey { get; set; }

        public DateTimeOffset LastUpdated { get; set; }

        public void RemoveExpiredAddresses(DateTimeOffset now) => _addresses.RemoveAll(a => a.Expires <= now);

        public void AddAddress(Multiaddr address, DateTimeOffset expires)
        {
            var index = _addresses.FindIndex(a => a.Address == address);
            if (index >= 0)
            {
                if (expires > _addresses[index].Expires)
                {
                    _addresses[index] = (address, expires);
                }

                return;
            }

            if (_addresses.Count >= MaxAddressesPerPeer)
            {
                // Full: the address expiring first gives way, if it expires before the new one.
                var soonest = 0;
                for (var i = 1; i < _addresses.Count; i++)
                {
                    if (_addresses[i].Expires < _addresses[soonest].Expires)
                    {
                        soonest = i;
                    }
                }

                if (_addresses[soonest].Expires >= expires)
                {
                    return;
                }

                _addresses.RemoveAt(soonest);
            }

            _addresses.Add((address, expires));
        }

        public Multiaddr[] CopyAddresses()
        {
            var result = new Multiaddr[_addresses.Count];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _addresses[i].Address;
            }

            return result;
        }

        public void AddProtocols(List<string> protocols)
        {
            foreach (var protocol in protocols)
            {
                if (Protocols.Count >= MaxProtocolsPerPeer)
                {
                    return;
                }

                Protocols.Add(protocol);
            }
        }

        public string[] SortedProtocols()
        {
            var result = Protocols.ToArray();
            Array.Sort(result, StringComparer.Ordinal);
            return result;
        }
    }
}
