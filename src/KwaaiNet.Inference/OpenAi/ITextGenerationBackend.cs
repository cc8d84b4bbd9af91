// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// Something that generates text for the OpenAI-compatible API: this worker's whole model, or the network's span
/// chains. Several may be registered; the API lists the models of all of them and picks, for each request, one that
/// serves the requested model id and can generate now.
/// </summary>
public interface ITextGenerationBackend
{
    /// <summary>
    /// The models this backend serves or is getting ready to serve (<see cref="TextGenerationModel.Unavailable"/> says
    /// why one cannot generate yet). Read on every request, so it reflects the backend's state now.
    /// </summary>
    IReadOnlyList<TextGenerationModel> Models { get; }

    /// <summary>The generator for <paramref name="modelId"/> when that model can generate now; null otherwise.</summary>
    /// <param name="modelId">A model id from <see cref="Models"/> (compared ordinally).</param>
    /// <returns>
    /// A generator that stays usable for the request even if the backend changes what it serves meanwhile, or null.
    /// </returns>
    ITextGenerator? GetGenerator(string modelId);
}
