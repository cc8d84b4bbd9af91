// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Petals.Map;

namespace KwaaiNet.Petals.Selection;

/// <summary>A local model chosen by <see cref="ModelSelection.PickBestModel"/> and the map report it matched.</summary>
/// <param name="Model">The local model reference (an Ollama reference or a models-folder name).</param>
/// <param name="Report">The map's report of the model.</param>
/// <param name="Score">The name-match score: 2 strong, 1 partial (<see cref="ModelSelection.MatchScore"/>).</param>
/// <param name="ServerCount">The report's server rows.</param>
/// <param name="Kept">True when the configured model was kept by the stability rule although another scored as high.</param>
public sealed record ModelChoice(string Model, MapModelReport Report, int Score, int ServerCount, bool Kept);
