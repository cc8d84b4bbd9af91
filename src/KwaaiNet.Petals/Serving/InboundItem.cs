// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Petals.Serving;

/// <summary>What an inference session receives next: a step (from its client or a push), or the end of its input.</summary>
/// <param name="Kind">What arrived.</param>
/// <param name="Request">The step, for <see cref="InboundItemKind.Request"/>.</param>
/// <param name="Error">Why the input is unreadable, for <see cref="InboundItemKind.Error"/>.</param>
internal sealed record InboundItem(InboundItemKind Kind, ExpertRequest? Request = null, string? Error = null)
{
    public static InboundItem EndOfInput { get; } = new(InboundItemKind.EndOfInput);

    public static InboundItem Closed { get; } = new(InboundItemKind.Closed);
}
