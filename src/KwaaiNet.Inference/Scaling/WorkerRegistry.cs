// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Scaling;
using StackExchange.Redis;

namespace KwaaiNet.Inference.Scaling;

/// <summary>
/// A worker's side of a pool in Redis: its entry under <see cref="WorkerRegistryKeys.Worker"/> with a time to live, and
/// its id in the pool's member set. An entry that is not refreshed expires, so a worker that dies leaves the pool.
/// </summary>
public sealed class WorkerRegistry(IConnectionMultiplexer redis, string pool)
{
    /// <summary>The pool's name.</summary>
    public string Pool { get; } = WorkerRegistryKeys.IsValidName(pool) ? pool : throw new ArgumentException($"'{pool}' is not a valid pool name.", nameof(pool));

    /// <summary>Writes (or refreshes) the worker's entry, living <paramref name="ttl"/>, and adds it to the pool's members.</summary>
    public async Task PublishAsync(WorkerRegistration registration, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.StringSetAsync(WorkerRegistryKeys.Worker(Pool, registration.WorkerId), registration.ToJson(), ttl);
        _ = transaction.SetAddAsync(WorkerRegistryKeys.Members(Pool), registration.WorkerId);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
    }

    /// <summary>Removes the worker's entry and membership (a clean shutdown).</summary>
    public async Task RemoveAsync(string workerId, CancellationToken cancellationToken)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.KeyDeleteAsync(WorkerRegistryKeys.Worker(Pool, workerId));
        _ = transaction.SetRemoveAsync(WorkerRegistryKeys.Members(Pool), workerId);
        await transaction.ExecuteAsync().WaitAsync(cancellationToken);
    }
}
