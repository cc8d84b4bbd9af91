// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Storage;

/// <summary>
/// One stored value: hivemind's (value, expiration) pair, under a key and, for dictionary values, a subkey.
/// An empty subkey is a plain (non-dictionary) value.
/// </summary>
public sealed record DhtRecord(ReadOnlyMemory<byte> Subkey, ReadOnlyMemory<byte> Value, DateTimeOffset ExpirationTime);
