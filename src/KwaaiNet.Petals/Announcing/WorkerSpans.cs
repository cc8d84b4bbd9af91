// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Threading.Channels;
using KwaaiNet.Contracts.Messages;

namespace KwaaiNet.Petals.Announcing;

/// <summary>
/// What the node's inference-workers serve, from their <see cref="WorkerSpanStatus"/> messages: the latest status of
/// each worker. A change of a worker's span or state wakes the announcer (<see cref="Changes"/>), so that it is
/// announced at once; heartbeats that change nothing do not. Thread-safe.
/// </summary>
public sealed class WorkerSpans
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, WorkerSpanStatus> _workers = new(StringComparer.Ordinal);
    private readonly Channel<bool> _changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Signals a change; one pending signal at most.</summary>
    public ChannelReader<bool> Changes => _changes.Reader;

    /// <summary>Keeps <paramref name="status"/> unless a later one of the same worker is held (bus redelivery can reorder).</summary>
    public void Record(WorkerSpanStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        bool changed;
        lock (_lock)
        {
            if (_workers.TryGetValue(status.WorkerId, out var held) && held.At > status.At)
            {
                return;
            }

            changed = held is null || !SameAnnouncement(held, status);
            _workers[status.WorkerId] = status;
        }

        if (changed)
        {
            _changes.Writer.TryWrite(true);
        }
    }

    /// <summary>
    /// The latest status of every worker; a worker silent since before <paramref name="silentSince"/> is removed and
    /// returned as stopped (it crashed or lost the bus).
    /// </summary>
    public IReadOnlyList<WorkerSpanStatus> Current(DateTimeOffset silentSince)
    {
        lock (_lock)
        {
            List<WorkerSpanStatus> result = [];
            foreach (var (id, status) in _workers.ToList())
            {
                if (status.At < silentSince && status.State != WorkerSpanState.Stopped)
                {
                    _workers.Remove(id);
                    result.Add(status with { State = WorkerSpanState.Stopped, Reason = "the worker stopped reporting" });
                }
                else
                {
                    result.Add(status);
                }
            }

            return result;
        }
    }

    /// <summary>Wakes the announcer without a status (an explicit request to announce now).</summary>
    public void Poke() => _changes.Writer.TryWrite(true);

    private static bool SameAnnouncement(WorkerSpanStatus a, WorkerSpanStatus b) =>
        a.State == b.State && a.Model == b.Model && a.StartBlock == b.StartBlock && a.EndBlock == b.EndBlock
        && a.TotalBlocks == b.TotalBlocks && a.DecodeTokensPerSecond == b.DecodeTokensPerSecond
        && a.DhtPrefix == b.DhtPrefix && a.Repository == b.Repository && a.DataType == b.DataType;
}
