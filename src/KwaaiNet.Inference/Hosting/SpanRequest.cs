// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// A span the worker is asked to serve: blocks [<paramref name="Start"/>, <paramref name="End"/>) of
/// <paramref name="Model"/> (the end is cut to the model when it is loaded).
/// </summary>
/// <param name="Model">The model reference, resolved like the configured one.</param>
/// <param name="Start">The first block.</param>
/// <param name="End">One past the last block, as asked.</param>
/// <param name="DhtPrefix">The map's prefix for the model, when the span came from a <c>ServeSpan</c> that named one.</param>
/// <param name="Repository">The map's repository for the model, likewise.</param>
/// <param name="IssuedAt">When the <c>ServeSpan</c> was issued; <see cref="DateTimeOffset.MinValue"/> for configuration.</param>
/// <param name="Source">Where the span came from, for the log: <c>start_block</c>, <c>serving.json</c> or <c>ServeSpan</c>.</param>
internal sealed record SpanRequest(string Model, int Start, int End, string? DhtPrefix, string? Repository, DateTimeOffset IssuedAt, string Source)
{
    /// <summary><see cref="Source"/> of a span from <c>KwaaiNet:Node:start_block</c>.</summary>
    public const string FromConfiguration = "start_block";

    /// <summary><see cref="Source"/> of a span resumed from <c>serving.json</c>.</summary>
    public const string FromServingFile = ServingFile.FileName;

    /// <summary><see cref="Source"/> of a span from a <c>ServeSpan</c> command.</summary>
    public const string FromCommand = "ServeSpan";
}
