// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Selection;

/// <summary>A span chosen by <see cref="BlockSelection"/>: blocks [<paramref name="Start"/>, <paramref name="End"/>) and why.</summary>
/// <param name="Start">The first block.</param>
/// <param name="End">One past the last block.</param>
/// <param name="Reason">Why this span, for the log and the <c>ServeSpan</c> command.</param>
public sealed record SpanChoice(int Start, int End, string Reason);
