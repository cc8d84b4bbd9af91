// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// One sub-entry of a dictionary value (hivemind's <c>DictionaryDHTValue</c>): a subkey, its value and its own
/// expiration. <paramref name="Subkey"/> is the msgpack encoding of the subkey object (for Petals and KwaaiNet records
/// a msgpack str peer id) — exactly the bytes a <c>StoreRequest</c> carries as the subkey tag, and exactly what the
/// <c>Ext 0x50</c> encoding embeds inline. <paramref name="Value"/> is the value's bytes (itself msgpack, opaque here).
/// </summary>
public sealed record DhtDictionaryEntry(ReadOnlyMemory<byte> Subkey, ReadOnlyMemory<byte> Value, double ExpirationTime);

/// <summary>
/// What a node holds under one key, with its expiration (hivemind's <c>ValueWithExpiration</c>): either a regular value
/// (<see cref="Value"/>, <see cref="Entries"/> null) or a dictionary (<see cref="Entries"/>, live entries only, ordered by
/// subkey bytes). For a dictionary <see cref="ExpirationTime"/> is its latest entry's expiration.
/// </summary>
public sealed record DhtItem(ReadOnlyMemory<byte> Value, IReadOnlyList<DhtDictionaryEntry>? Entries, double ExpirationTime)
{
    /// <summary>True for a dictionary value.</summary>
    public bool IsDictionary => Entries is not null;

    /// <summary>A regular value.</summary>
    public static DhtItem Regular(ReadOnlyMemory<byte> value, double expirationTime) => new(value, null, expirationTime);

    /// <summary>A dictionary value; its expiration is the latest of its entries'.</summary>
    public static DhtItem Dictionary(IReadOnlyList<DhtDictionaryEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return new(ReadOnlyMemory<byte>.Empty, entries, entries.Count == 0 ? double.NegativeInfinity : entries.Max(static e => e.ExpirationTime));
    }
}
