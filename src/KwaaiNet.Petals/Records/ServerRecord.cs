// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>One server's entry under a block key, read by <see cref="ServerRecordReader"/>: its peer id and announcement.</summary>
/// <param name="PeerId">The server's base58 peer id (the entry's subkey).</param>
/// <param name="Info">Its <c>ServerInfo</c>, with <c>start_block</c> and <c>end_block</c> always set.</param>
public sealed record ServerRecord(string PeerId, ServerInfo Info);
