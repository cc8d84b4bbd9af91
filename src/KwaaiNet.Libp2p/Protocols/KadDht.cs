// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using Google.Protobuf;
using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols.Wire;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>
/// Kademlia peer routing over <c>/ipfs/kad/1.0.0</c> (libp2p/specs kad-dht/README.md): FIND_NODE as server and
/// client, and an iterative lookup that finds a peer's addresses from its id. Records and providers are not
/// stored: the node only needs peer routing (hivemind's own DHT runs over its rpc_* handlers).
/// </summary>
public sealed class KadDht : IPeerRouting
{
    /// <summary>The kad protocol id go-libp2p-kad-dht and js use by default.</summary>
    public const string ProtocolId = "/ipfs/kad/1.0.0";

    /// <summary>k: how many peers a FIND_NODE answer holds.</summary>
    public const int BucketSize = 20;

    /// <summary>α: concurrent queries per lookup round.</summary>
    public const int Alpha = 3;

    /// <summary>Largest kad message read (go network.MessageSizeMax, 4 MiB).</summary>
    public const int MaxMessageSize = 4 * 1024 * 1024;

    /// <summary>Most requests served on one inbound stream.</summary>
    public const int MaxRequestsPerStream = 256;

    /// <summary>Most peers queried in one lookup.</summary>
    public const int MaxQueriesPerLookup = 64;

    private readonly Libp2pHost _host;
    private readonly ILogger _logger;

    /// <summary>Creates the DHT client/server for <paramref name="host"/>; <see cref="Start"/> registers it.</summary>
    public KadDht(Libp2pHost host, ILogger<KadDht> logger)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(logger);
        _host = host;
        _logger = logger;
    }

    /// <summary>Per-query timeout (go QueryTimeout is 10 s for a whole query; one RPC gets less).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Serves FIND_NODE (server mode: identify then announces the protocol) and becomes the host's peer routing.</summary>
    public void Start()
    {
        _host.Protocols.Add(ProtocolId, ServeAsync);
        _host.PeerRouting = this;
    }

    /// <summary>One FIND_NODE request to <paramref name="remote"/> for <paramref name="key"/>; learned addresses go to the peerstore.</summary>
    public async Task<IReadOnlyList<KadPeer>> FindNodeAsync(PeerId remote, ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remote);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(RequestTimeout);
        await using var stream = await _host.OpenStreamAsync(remote, [ProtocolId], timeout.Token).ConfigureAwait(false);
        var request = new KadMessage { Type = KadMessage.Types.MessageType.FindNode, Key = ByteString.CopyFrom(key.Span) };
        await LengthPrefixed.WriteAsync(stream.Stream, request.ToByteArray(), timeout.Token).ConfigureAwait(false);
        var bytes = await LengthPrefixed.ReadAsync(stream.Stream, MaxMessageSize, timeout.Token).ConfigureAwait(false)
            ?? throw new Libp2pProtocolException("Peer " + remote + " closed the kad stream without answering FIND_NODE.");
        var response = Parse(bytes);
        var peers = new List<KadPeer>();
        foreach (var entry in response.CloserPeers.Take(BucketSize * 2))
        {
            if (!PeerId.TryFromMultihash(entry.Id.Span, out var id))
            {
                continue;
            }

            var addresses = new List<Multiaddr>();
            foreach (var raw in entry.Addrs)
            {
                if (Multiaddr.TryFromBytes(raw.Span, out var address))
                {
                    addresses.Add(address.WithoutPeerId());
                }
            }

            if (addresses.Count > 0 && id != _host.PeerId)
            {
                _host.PeerStore.AddAddresses(id, addresses, _host.Options.AddressTtl);
            }

            peers.Add(new KadPeer(id, addresses));
        }

        return peers;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Multiaddr>> FindPeerAsync(PeerId peer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var known = _host.PeerStore.GetAddresses(peer);
        if (known.Count > 0)
        {
            return known;
        }

        await LookupAsync(peer.Multihash, stopWhenFound: peer, cancellationToken).ConfigureAwait(false);
        return _host.PeerStore.GetAddresses(peer);
    }

    /// <summary>An iterative lookup: the k peers closest to <paramref name="key"/> that the network knows.</summary>
    public Task<IReadOnlyList<PeerId>> GetClosestPeersAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        LookupAsync(key, stopWhenFound: null, cancellationToken);

    /// <summary>The k known kad servers closest to <paramref name="key"/>, with their addresses.</summary>
    public IReadOnlyList<KadPeer> ClosestKnown(ReadOnlySpan<byte> key, int count, PeerId? exclude = null)
    {
        var target = SHA256.HashData(key);
        var store = _host.PeerStore;
        return [.. store.PeersSupporting(ProtocolId)
            .Where(p => p != _host.PeerId && p != exclude)
            .Select(p => new KadPeer(p, store.GetAddresses(p)))
            .Where(static p => p.Addresses.Count > 0)
            .OrderBy(p => SHA256.HashData(p.Id.Multihash.Span), new XorDistanceComparer(target))
            .Take(count)];
    }

    private async Task<IReadOnlyList<PeerId>> LookupAsync(ReadOnlyMemory<byte> key, PeerId? stopWhenFound, CancellationToken cancellationToken)
    {
        var target = SHA256.HashData(key.Span);
        var comparer = new XorDistanceComparer(target);
        var candidates = new Dictionary<PeerId, byte[]>();
        foreach (var peer in ClosestKnown(key.Span, BucketSize))
        {
            candidates[peer.Id] = SHA256.HashData(peer.Id.Multihash.Span);
        }

        var queried = new HashSet<PeerId>();
        var responded = new HashSet<PeerId>();
        while (queried.Count < MaxQueriesPerLookup)
        {
            var round = candidates.OrderBy(static c => c.Value, comparer).Take(BucketSize)
                .Where(c => !queried.Contains(c.Key)).Take(Alpha).Select(static c => c.Key).ToList();
            if (round.Count == 0)
            {
                break;
            }

            queried.UnionWith(round);
            var answers = await Task.WhenAll(round.Select(async peer =>
            {
                try
                {
                    return (peer, await FindNodeAsync(peer, key, cancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex) when (ex is Libp2pProtocolException or IOException or OperationCanceledException or InvalidOperationException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    _logger.KadQueryFailed(peer, ex.Message);
                    return (peer, (IReadOnlyList<KadPeer>?)null);
                }
            })).ConfigureAwait(false);

            foreach (var (peer, found) in answers)
            {
                if (found is null)
                {
                    candidates.Remove(peer);
                    continue;
                }

                responded.Add(peer);
                foreach (var entry in found)
                {
                    if (entry.Id != _host.PeerId && entry.Addresses.Count > 0)
                    {
                        candidates.TryAdd(entry.Id, SHA256.HashData(entry.Id.Multihash.Span));
                    }
                }
            }

            if (stopWhenFound is not null && _host.PeerStore.GetAddresses(stopWhenFound).Count > 0)
            {
                break;
            }
        }

        return [.. candidates.Where(c => responded.Contains(c.Key) || !queried.Contains(c.Key))
            .OrderBy(static c => c.Value, comparer).Take(BucketSize).Select(static c => c.Key)];
    }

    private async Task ServeAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        for (var served = 0; served < MaxRequestsPerStream; served++)
        {
            var bytes = await LengthPrefixed.ReadAsync(stream.Stream, MaxMessageSize, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                await stream.CompleteWritesAsync().ConfigureAwait(false);
                return;
            }

            var request = Parse(bytes);
            var response = request.Type switch
            {
                KadMessage.Types.MessageType.FindNode or KadMessage.Types.MessageType.GetValue or KadMessage.Types.MessageType.GetProviders =>
                    AnswerWithCloserPeers(request, stream.RemotePeer),
                KadMessage.Types.MessageType.Ping => new KadMessage { Type = KadMessage.Types.MessageType.Ping },
                _ => throw new Libp2pProtocolException("Kad " + request.Type + " is not served: this node only does peer routing."),
            };
            await LengthPrefixed.WriteAsync(stream.Stream, response.ToByteArray(), cancellationToken).ConfigureAwait(false);
        }

        throw new Libp2pProtocolException("More than " + MaxRequestsPerStream + " kad requests on one stream.");
    }

    private KadMessage AnswerWithCloserPeers(KadMessage request, PeerId requester)
    {
        var response = new KadMessage { Type = request.Type, Key = request.Key };
        var key = request.Key.Span;

        // go-libp2p-kad-dht (v0.25, the version hivemind's daemon pins) only admits a peer to its routing table when
        // it answers FIND_NODE for its own id with at least one peer; js find-node.js adds itself in that case.
        if (key.SequenceEqual(_host.PeerId.Multihash.Span))
        {
            response.CloserPeers.Add(ToWire(_host.PeerId, _host.ListenAddresses, connected: true));
        }

        foreach (var peer in ClosestKnown(key, BucketSize, exclude: requester))
        {
            response.CloserPeers.Add(ToWire(peer.Id, peer.Addresses, connected: _host.FindConnection(peer.Id) is not null));
        }

        return response;
    }

    private static KadMessage.Types.Peer ToWire(PeerId id, IEnumerable<Multiaddr> addresses, bool connected)
    {
        var peer = new KadMessage.Types.Peer
        {
            Id = ByteString.CopyFrom(id.Multihash.Span),
            Connection = connected ? KadMessage.Types.ConnectionType.Connected : KadMessage.Types.ConnectionType.CanConnect,
        };
        foreach (var address in addresses)
        {
            peer.Addrs.Add(ByteString.CopyFrom(address.WithoutPeerId().Bytes.Span));
        }

        return peer;
    }

    private static KadMessage Parse(byte[] bytes)
    {
        try
        {
            return KadMessage.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new Libp2pProtocolException("Malformed kad message: " + ex.Message, ex);
        }
    }

    /// <summary>Orders sha256 keys by their XOR distance to a target (kad-dht/README.md §Distance).</summary>
    private sealed class XorDistanceComparer(byte[] target) : IComparer<byte[]>
    {
        public int Compare(byte[]? x, byte[]? y)
        {
            ArgumentNullException.ThrowIfNull(x);
            ArgumentNullException.ThrowIfNull(y);
            for (var i = 0; i < target.Length; i++)
            {
                var dx = x[i] ^ target[i];
                var dy = y[i] ^ target[i];
                if (dx != dy)
                {
                    return dx.CompareTo(dy);
                }
            }

            return 0;
        }
    }
}

/// <summary>A peer named in a kad answer, with the addresses given for it.</summary>
public sealed record KadPeer(PeerId Id, IReadOnlyList<Multiaddr> Addresses);
