// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// A dictionary value as read from hivemind's <c>Ext 0x50</c> encoding (<c>DictionaryDHTValue.unpackb</c> in
/// hivemind/dht/storage.py).
/// </summary>
/// <param name="MaxSize">The dictionary's size bound; positive infinity when unbounded (Python writes
/// <c>float("inf")</c>, KwaaiNet writes nil, and Python reads a zero bound as unbounded too).</param>
/// <param name="LatestExpirationTime">The latest expiration as the sender wrote it (negative infinity for an empty
/// dictionary written by Python).</param>
/// <param name="Entries">The entries in wire order, one per distinct subkey; expired entries are kept, as Python's
/// frozen decode keeps them.</param>
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "It is a decoded hivemind DictionaryDHTValue; the name is the protocol's.")]
public sealed record DecodedDictionary(double MaxSize, double LatestExpirationTime, IReadOnlyList<DhtDictionaryEntry> Entries);
