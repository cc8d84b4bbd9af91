// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Hosting;

/// <summary>One measured decode throughput and what it was measured on.</summary>
internal sealed record ThroughputEntry(
    double ComputeTokensPerSecond,
    int HiddenSize,
    int StartBlock,
    int EndBlock,
    string DataType,
    string Provider,
    DateTimeOffset MeasuredAt)
{
    /// <summary>Whether both figures are for the same span, hidden size, element type and provider.</summary>
    public bool SameSpan(ThroughputEntry other) =>
        HiddenSize == other.HiddenSize && StartBlock == other.StartBlock && EndBlock == other.EndBlock
        && DataType == other.DataType && Provider == other.Provider;
}
