// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Hivemind.Node;

/// <summary>
/// The best value found so far for one key during a get (hivemind's <c>node.py::_SearchState</c>): a later-expiring
/// regular value replaces the current one; dictionaries from different nodes merge entry by entry, each subkey keeping
/// its latest entry. The search for the key is done once the best value expires at or after the sufficient
/// expiration (the time of the call by default, +∞ for <c>latest</c>), or when the beam search runs out of nodes.
/// </summary>
internal sealed class SearchState(DhtId key, double sufficientExpiration)
{
    private readonly TaskCompletionSource<DhtItem?> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DhtDictionaryEntry> _entries = new(StringComparer.Ordinal);
    private ReadOnlyMemory<byte>? _regular;
    private double? _expiration;

    public DhtId Key { get; } = key;

    /// <summary>The node whose answer set the best expiration so far.</summary>
    public DhtId? Source { get; private set; }

    public bool Finished => _result.Task.IsCompleted;

    public bool FoundSomething => _expiration is not null;

    public double ExpirationTime => _expiration ?? double.NegativeInfinity;

#pragma warning disable VSTHRD003 // A plain signal: completed by Finish, never bound to a context.
    public Task<DhtItem?> Result => _result.Task;
#pragma warning restore VSTHRD003

    public void AddCandidate(DhtItem? candidate, DhtId source)
    {
        if (candidate is null)
        {
            return;
        }

        bool finish;
        lock (_lock)
        {
            if (Finished)
            {
                return;
            }

            if (candidate.IsDictionary && _regular is null && _expiration is not null)
            {
                Merge(candidate.Entries!);
            }
            else if (candidate.ExpirationTime > ExpirationTime)
            {
                _entries.Clear();
                _regular = null;
                if (candidate.IsDictionary)
                {
                    Merge(candidate.Entries!);
                }
                else
                {
                    _regular = candidate.Value;
                }
            }

            if (candidate.ExpirationTime > ExpirationTime)
            {
                _expiration = candidate.ExpirationTime;
                Source = source;
            }

            finish = _expiration >= sufficientExpiration;
        }

        if (finish)
        {
            Finish();
        }
    }

    /// <summary>Ends the search with what was found (or null).</summary>
    public void Finish()
    {
        DhtItem? item;
        lock (_lock)
        {
            if (Finished)
            {
                return;
            }

            item = Snapshot();
        }

        _result.TrySetResult(item);
    }

    /// <summary>The best value as it stands (for caching), or null.</summary>
    public DhtItem? Snapshot()
    {
        lock (_lock)
        {
            if (_expiration is not { } expiration)
            {
                return null;
            }

            return _regular is { } regular
                ? DhtItem.Regular(regular, expiration)
                : DhtItem.Dictionary([.. _entries.Values.OrderBy(static e => e.Subkey.ToArray(), ByteOrder.Instance)]) with { ExpirationTime = expiration };
        }
    }

    private void Merge(IEnumerable<DhtDictionaryEntry> entries)
    {
        foreach (var entry in entries)
        {
            var subkey = Convert.ToHexString(entry.Subkey.Span);
            if (!_entries.TryGetValue(subkey, out var current) || entry.ExpirationTime > current.ExpirationTime)
            {
                _entries[subkey] = entry;
            }
        }
    }

    private sealed class ByteOrder : IComparer<byte[]>
    {
        public static readonly ByteOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
