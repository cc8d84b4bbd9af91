// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Messages;

/// <summary>
/// Published by an inference-worker once per reporting period in which it ran tokens through its span: the
/// carbon-tracker divides energy by tokens, the map shows the load.
/// </summary>
/// <param name="Model">The configured model reference.</param>
/// <param name="StartBlock">The span's first block.</param>
/// <param name="EndBlock">One past the span's last block.</param>
/// <param name="Tokens">Tokens that passed through the span in the period (prefill and decode).</param>
/// <param name="Steps">Forward passes and inference steps in the period.</param>
/// <param name="GeneratedTokens">Tokens sampled by <c>Generate</c> in the period.</param>
/// <param name="PeriodStart">Start of the period.</param>
/// <param name="PeriodEnd">End of the period.</param>
public sealed record TokensProcessed(
    string Model,
    int StartBlock,
    int EndBlock,
    long Tokens,
    long Steps,
    long GeneratedTokens,
    DateTimeOffset PeriodStart,
    DateTimeOffset PeriodEnd);
