// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Map;

/// <summary>One server span on the map.</summary>
public sealed record MapServerEntry(
    string PeerId,
    string PublicName,
    string Model,
    int StartBlock,
    int EndBlock,
    int State,
    double Throughput);
