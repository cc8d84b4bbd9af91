// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using Grpc.Net.Client;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Contracts.Scaling;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// The gateway's view of one worker pool in Redis (<see cref="WorkerRegistryKeys"/>): the live workers (read at most
/// once per <see cref="GatewayOptions.PoolRefresh"/>), the choice of a worker for a new session (fewest open sessions,
/// then round robin), the per-peer affinities of unary calls, and direct gRPC channels to each worker's own endpoint.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>The most members read from a pool's set; more is not a pool of ours.</summary>
    public const int MaxMembers = 1024;

    private readonly IConnectionMultiplexer _redis;
    private readonly GatewayOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _gone = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _streams = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Uri, GrpcChannel> _channels = new();
    private IReadOnlyList<WorkerRegistration> _live = [];
    private long _readAt;
    private bool _read;
    private int _turn;

    public WorkerPool(string name, IConnectionMultiplexer redis, GatewayOptions options, TimeProvider time, ILogger logger)
    {
        if (!WorkerRegistryKeys.IsValidName(name))
        {
            throw new ArgumentException($"'{name}' is not a valid pool name.", nameof(name));
        }

        Name = name;
        _redis = redis;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The pool's name.</summary>
    public string Name { get; }

    /// <summary>
    /// The workers registered now, without those found gone since their last refresh. Entries that expired are dropped
    /// from the pool's member set; entries that are not valid are skipped and logged. Throws <see cref="RedisException"/>
    /// or <see cref="TimeoutException"/> when Redis does not answer.
    /// </summary>
    public async Task<IReadOnlyList<WorkerRegistration>> LiveAsync(CancellationToken cancellationToken)
    {
        if (!IsFresh())
        {
            await _refresh.WaitAsync(cancellationToken);
            try
            {
                if (!IsFresh())
                {
                    _live = await ReadAsync(cancellationToken);
                    _readAt = _time.GetTimestamp();
                    _read = true;
                }
            }
            finally
            {
                _refresh.Release();
            }
        }

        var live = _live;
        List<WorkerRegistration> usable = new(live.Count);
        foreach (var worker in live)
        {
            // A worker found gone comes back once it refreshes its entry (its own clock: no skew between machines).
            if (!_gone.TryGetValue(worker.WorkerId, out var seen) || worker.UpdatedAt > seen)
            {
                usable.Add(worker);
            }
        }

        return usable;
    }

    /// <summary>
    /// Marks a worker gone (it did not answer): it is not chosen again until it refreshes its entry, and the next read
    /// of the pool asks Redis again.
    /// </summary>
    public void MarkGone(WorkerRegistration worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        _gone[worker.WorkerId] = worker.UpdatedAt;
        _read = false;
    }

    /// <summary>
    /// The worker for a new session among <paramref name="live"/> less <paramref name="exclude"/>: the fewest open
    /// sessions (its reported count, or the streams this gateway holds open to it if more), ties in turn. Null when none is left.
    /// </summary>
    public WorkerRegistration? Pick(IReadOnlyList<WorkerRegistration> live, IReadOnlyCollection<string> exclude)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(exclude);
        List<WorkerRegistration> best = [];
        var least = int.MaxValue;
        foreach (var worker in live)
        {
            if (exclude.Contains(worker.WorkerId))
            {
                continue;
            }

            var load = Math.Max(worker.OpenSessions, _streams.GetValueOrDefault(worker.WorkerId));
            if (load < least)
            {
                least = load;
                best.Clear();
            }

            if (load == least)
            {
                best.Add(worker);
            }
        }

        if (best.Count == 0)
        {
            return null;
        }

        best.Sort(static (a, b) => string.CompareOrdinal(a.WorkerId, b.WorkerId));
        var turn = (uint)(Interlocked.Increment(ref _turn) - 1);
        return best[(int)(turn % (uint)best.Count)];
    }

    /// <summary>Counts a stream open to <paramref name="workerId"/> until the returned lease is disposed.</summary>
    public IDisposable TrackStream(string workerId)
    {
        _streams.AddOrUpdate(workerId, 1, static (_, n) => n + 1);
        return new StreamLease(this, workerId);
    }

    /// <summary>The worker id that serves <paramref name="peerId"/>'s calls of <paramref name="protocol"/>, renewing its idle time to live; null when none.</summary>
    public async Task<string?> AffinityAsync(string peerId, string protocol, CancellationToken cancellationToken)
    {
        var value = await _redis.GetDatabase()
            .StringGetSetExpiryAsync(WorkerRegistryKeys.Affinity(Name, peerId, protocol), _options.AffinityIdleTimeout)
            .WaitAsync(cancellationToken);
        return value.IsNullOrEmpty ? null : value.ToString();
    }

    /// <summary>Sends <paramref name="peerId"/>'s calls of <paramref name="protocol"/> to <paramref name="workerId"/> from now on.</summary>
    public Task SetAffinityAsync(string peerId, string protocol, string workerId, CancellationToken cancellationToken) =>
        _redis.GetDatabase()
            .StringSetAsync(WorkerRegistryKeys.Affinity(Name, peerId, protocol), workerId, _options.AffinityIdleTimeout)
            .WaitAsync(cancellationToken);

    /// <summary>The <c>InboundHandler</c> client of a worker, over a direct channel to its own endpoint.</summary>
    public InboundHandler.InboundHandlerClient Client(WorkerRegistration worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return new InboundHandler.InboundHandlerClient(_channels.GetOrAdd(worker.Endpoint, static (endpoint, options) =>
            GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    // A session's stream is one HTTP/2 stream; many sessions must not queue behind one connection's limit.
                    EnableMultipleHttp2Connections = true,
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                },
                DisposeHttpClient = true,
                MaxReceiveMessageSize = options.UnaryMaxMessageSize,
                MaxSendMessageSize = options.UnaryMaxMessageSize,
            }), _options));
    }

    public void Dispose()
    {
        foreach (var channel in _channels.Values)
        {
            channel.Dispose();
        }

        _refresh.Dispose();
    }

    private bool IsFresh() => _read && _time.GetElapsedTime(_readAt) < _options.PoolRefresh;

    private async Task<IReadOnlyList<WorkerRegistration>> ReadAsync(CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var members = WorkerRegistryKeys.Members(Name);
        var ids = await db.SetRandomMembersAsync(members, MaxMembers).WaitAsync(cancellationToken);
        if (ids.Length == 0)
        {
            return [];
        }

        var keys = new RedisKey[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            keys[i] = WorkerRegistryKeys.Worker(Name, ids[i].ToString());
        }

        var values = await db.StringGetAsync(keys).WaitAsync(cancellationToken);
        List<WorkerRegistration> live = new(ids.Length);
        List<RedisValue> expired = [];
        for (var i = 0; i < ids.Length; i++)
        {
            if (values[i].IsNull)
            {
                expired.Add(ids[i]);
            }
            else if (WorkerRegistration.TryParse((byte[])values[i]!, out var worker) && worker.WorkerId == ids[i].ToString())
            {
                live.Add(worker);
            }
            else
            {
                _logger.PoolEntryInvalid(Name, Printable(ids[i].ToString()));
            }
        }

        if (expired.Count > 0)
        {
            // A worker that died without leaving: its entry expired, so its id leaves the index too. A worker that is
            // alive adds itself back at its next refresh.
            await db.SetRemoveAsync(members, [.. expired]).WaitAsync(cancellationToken);
        }

        return live;
    }

    private static string Printable(string text) =>
        text.Length <= 64 && text.All(static c => !char.IsControl(c)) ? text : "(unprintable)";

    private sealed class StreamLease(WorkerPool pool, string workerId) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                pool._streams.AddOrUpdate(workerId, 0, static (_, n) => Math.Max(0, n - 1));
            }
        }
    }
}
