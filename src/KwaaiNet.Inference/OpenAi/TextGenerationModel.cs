// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>A model a <see cref="ITextGenerationBackend"/> serves, as <c>GET /v1/models</c> lists it.</summary>
/// <param name="Id">The model id clients name in requests.</param>
/// <param name="OwnedBy">Who serves it (OpenAI's <c>owned_by</c>).</param>
/// <param name="ContextLength">The most tokens a generation holds, prompt and completion together; null while unknown.</param>
/// <param name="Unavailable">Null when the model can generate now; otherwise why not (e.g. it is loading).</param>
public sealed record TextGenerationModel(string Id, string OwnedBy, int? ContextLength, string? Unavailable = null)
{
    /// <summary>Whether the model can generate now.</summary>
    public bool IsReady => Unavailable is null;
}
