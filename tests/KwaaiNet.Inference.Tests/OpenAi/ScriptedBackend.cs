// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.OpenAi;

namespace KwaaiNet.Inference.Tests.OpenAi;

/// <summary>
/// A second backend beside the worker's whole model, standing in for the network's chains: it serves one model whose
/// tokens are characters and whose generation replies <see cref="ScriptedGenerator.Reply"/>.
/// </summary>
internal sealed class ScriptedBackend(string id, int? failAfter = null) : ITextGenerationBackend
{
    public IReadOnlyList<TextGenerationModel> Models => [new TextGenerationModel(id, "network", ScriptedGenerator.Context)];

    public ITextGenerator? GetGenerator(string modelId) =>
        string.Equals(modelId, id, StringComparison.Ordinal) ? new ScriptedGenerator(id, failAfter) : null;
}
