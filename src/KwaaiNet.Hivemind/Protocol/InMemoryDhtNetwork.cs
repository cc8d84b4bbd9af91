// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Protocols;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// DHT nodes in one process without sockets: each registers its handler under its peer id, calls are direct. For
/// swarms too large for real libp2p on one machine (the 1,000-node benchmark) and for protocol tests; the bytes are
/// the same protobuf requests and replies as on the wire. A node that leaves (<see cref="Remove"/>) stops answering,
/// as a dead peer does.
/// </summary>
public sealed class InMemoryDhtNetwork
{
    private readonly ConcurrentDictionary<PeerId, Func<UnaryRequest, CancellationToken, Task<UnaryResult>>> _handlers = new();

    /// <summary>Calls delivered so far.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    private long _calls;

    /// <summary>Puts a node on the network.</summary>
    public void Add(PeerId peer, Func<UnaryRequest, CancellationToken, Task<UnaryResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd(peer, handler))
        {
            throw new InvalidOperationException($"{peer} is already on the network");
        }
    }

    /// <summary>Takes a node off the network: calls to it fail as to an unreachable peer.</summary>
    public bool Remove(PeerId peer) => _handlers.TryRemove(peer, out _);

    /// <summary>The transport of the node <paramref name="self"/>.</summary>
    public IDhtTransport TransportFor(PeerId self) => new Transport(this, self);

    private sealed class Transport(InMemoryDhtNetwork network, PeerId self) : IDhtTransport
    {
        public ValueTask<PeerId> GetLocalPeerAsync(CancellationToken cancellationToken) => ValueTask.FromResult(self);

        public Task<PeerId> ConnectAsync(Multiaddr address, CancellationToken cancellationToken) =>
            address.PeerId is { } peer && network._handlers.ContainsKey(peer)
                ? Task.FromResult(peer)
                : Task.FromException<PeerId>(new DhtCallException($"no node at {address}"));

        public async Task<ReadOnlyMemory<byte>> CallAsync(PeerId peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
        {
            if (!network._handlers.TryGetValue(peer, out var handler) || !network._handlers.ContainsKey(self))
            {
                throw new DhtCallException($"{peer} is not reachable");
            }

            Interlocked.Increment(ref network._calls);

            // A copy, as a network would: the callee must not see later changes to the caller's buffer.
            var result = await handler(new UnaryRequest(self, protocol, request.ToArray()), cancellationToken).ConfigureAwait(false);
            return result.Error is { } error
                ? throw new DhtCallException($"{peer} answered {protocol} with an error: {error}") { RemoteError = true }
                : result.Response!.Value.ToArray();
        }
    }
}
