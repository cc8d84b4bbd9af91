// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Messages;

/// <summary>
/// Published by an inference-worker once its span is loaded: how fast it decodes, for the announcer's
/// <c>throughput</c> field.
/// </summary>
/// <param name="Model">The configured model reference.</param>
/// <param name="StartBlock">The span's first block.</param>
/// <param name="EndBlock">One past the span's last block.</param>
/// <param name="TotalBlocks">Blocks in the whole model.</param>
/// <param name="HiddenSize">The model's hidden size (upstream's network-throughput formula needs it).</param>
/// <param name="DecodeTokensPerSecond">Single-token decode steps per second through the whole span.</param>
/// <param name="Provider">The ONNX Runtime execution provider that ran them.</param>
/// <param name="DataType">The span's element type, <c>float32</c> or <c>float16</c>.</param>
/// <param name="FromCache">True when the figure was read from the node's throughput cache instead of measured now.</param>
/// <param name="MeasuredAt">When the figure was measured.</param>
public sealed record ThroughputMeasured(
    string Model,
    int StartBlock,
    int EndBlock,
    int TotalBlocks,
    int HiddenSize,
    double DecodeTokensPerSecond,
    string Provider,
    string DataType,
    bool FromCache,
    DateTimeOffset MeasuredAt);
