// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using KwaaiNet.Libp2p.Multistream;

namespace KwaaiNet.Libp2p.Network;

/// <summary>
/// The protocols the node accepts inbound streams for: exact protocol ids, and prefixes (for example
/// <c>DHTProtocol.</c> for every hivemind DHT handler). An exact id wins over a prefix; the longest prefix wins.
/// Thread-safe; readers never lock.
/// </summary>
public sealed class ProtocolRegistry
{
    private ImmutableDictionary<string, StreamHandler> _exact = ImmutableDictionary<string, StreamHandler>.Empty.WithComparers(StringComparer.Ordinal);
    private ImmutableList<KeyValuePair<string, StreamHandler>> _prefixes = [];

    /// <summary>Raised after the set of protocols changed (identify push tells connected peers).</summary>
    public event EventHandler? Changed;

    /// <summary>The exact protocol ids, as identify announces them.</summary>
    public IReadOnlyList<string> Protocols => [.. _exact.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Serves <paramref name="protocol"/> with <paramref name="handler"/>, replacing an earlier handler.</summary>
    public void Add(string protocol, StreamHandler handler)
    {
        Validate(protocol);
        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.Update(ref _exact, static (map, entry) => map.SetItem(entry.Key, entry.Value), KeyValuePair.Create(protocol, handler));
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Serves every protocol id that starts with <paramref name="prefix"/>.</summary>
    public void AddPrefix(string prefix, StreamHandler handler)
    {
        Validate(prefix);
        ArgumentNullException.ThrowIfNull(handler);
        ImmutableInterlocked.Update(
            ref _prefixes,
            static (list, entry) => list.RemoveAll(p => p.Key == entry.Key).Add(entry).Sort(static (a, b) => b.Key.Length.CompareTo(a.Key.Length)),
            KeyValuePair.Create(prefix, handler));
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Stops serving <paramref name="protocol"/>.</summary>
    public bool Remove(string protocol)
    {
        var removed = ImmutableInterlocked.TryRemove(ref _exact, protocol, out _);
        if (removed)
        {
            Changed?.Invoke(this, EventArgs.Empty);
        }

        return removed;
    }

    /// <summary>Finds the handler for a proposed protocol id.</summary>
    public bool TryResolve(string protocol, [NotNullWhen(true)] out StreamHandler? handler)
    {
        if (_exact.TryGetValue(protocol, out handler))
        {
            return true;
        }

        foreach (var (prefix, prefixHandler) in _prefixes)
        {
            if (protocol.StartsWith(prefix, StringComparison.Ordinal))
            {
                handler = prefixHandler;
                return true;
            }
        }

        handler = null;
        return false;
    }

    private static void Validate(string protocol)
    {
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        if (Encoding.UTF8.GetByteCount(protocol) > MultistreamSelect.MaxProtocolLength || protocol.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("A protocol id is at most " + MultistreamSelect.MaxProtocolLength + " UTF-8 bytes without newlines.", nameof(protocol));
        }
    }
}
