// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Kwaai;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// Opens <see cref="KwaaiSpanSession"/>s over <c>/kwaai/inference/1.0.0</c>, calling peers through the node's gateway
/// (<see cref="INodeGateway.CallUnaryAsync"/>) with upstream's retries of transient failures. A session's id is a
/// random u64, or the id of an earlier session with the same server that ended healthy: upstream servers have no
/// close message and keep a session's cache until it has been idle for 600 s (ours also cap the sessions a peer holds),
/// so reusing ids keeps the caches a client holds on a server to the sessions it runs at once.
/// </summary>
/// <remarks>
/// The protocol names no blocks: a server runs whatever span it serves, which the route took from its DHT record.
/// </remarks>
internal sealed class KwaaiSpanSessionFactory : IRemoteSpanSessionFactory
{
    /// <summary>The most ended session ids kept per server; more sessions at once than this open new ids.</summary>
    internal const int MaxIdleIdsPerPeer = 8;

    private readonly KwaaiInferenceClient _client;
    private readonly TimeSpan _requestTimeout;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Stack<ulong>> _idle = [];

    /// <summary>Creates the factory over the node's gateway.</summary>
    public KwaaiSpanSessionFactory(INodeGateway gateway, IOptions<ClientOptions> options, TimeProvider timeProvider, ILogger<KwaaiInferenceClient> logger)
        : this(new KwaaiInferenceClient(Call(gateway), timeProvider, logger), options)
    {
    }

    /// <summary>Creates the factory over <paramref name="client"/>.</summary>
    internal KwaaiSpanSessionFactory(KwaaiInferenceClient client, IOptions<ClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _requestTimeout = options.Value.RequestTimeout;
    }

    public SpanProtocol Protocol => SpanProtocol.Kwaai;

    /// <summary>Ended session ids kept for <paramref name="peerId"/>.</summary>
    internal int IdleIds(string peerId)
    {
        lock (_gate)
        {
            return _idle.TryGetValue(peerId, out var ids) ? ids.Count : 0;
        }
    }

    public Task<IRemoteSpanSession> OpenAsync(RouteSpan span, string dhtPrefix, int maxLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(span);
        cancellationToken.ThrowIfCancellationRequested();

        // Nothing to send yet: the server opens the session on its first request, at seq_pos 0.
        return Task.FromResult<IRemoteSpanSession>(new KwaaiSpanSession(_client, span, Rent(span.PeerId), _requestTimeout, Release));
    }

    private static Func<string, string, ReadOnlyMemory<byte>, CancellationToken, Task<ReadOnlyMemory<byte>>> Call(INodeGateway gateway)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        return gateway.CallUnaryAsync;
    }

    private ulong Rent(string peerId)
    {
        lock (_gate)
        {
            if (_idle.TryGetValue(peerId, out var ids) && ids.TryPop(out var id))
            {
                if (ids.Count == 0)
                {
                    _idle.Remove(peerId);
                }

                return id;
            }
        }

        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        RandomNumberGenerator.Fill(bytes);
        return BitConverter.ToUInt64(bytes);
    }

    private void Release(string peerId, ulong sessionId)
    {
        lock (_gate)
        {
            if (!_idle.TryGetValue(peerId, out var ids))
            {
                ids = new Stack<ulong>();
                _idle.Add(peerId, ids);
            }

            if (ids.Count < MaxIdleIdsPerPeer)
            {
                ids.Push(sessionId);
            }
        }
    }
}
