// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Hosting;

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// The model this worker holds whole (a span of every block, with its tokenizer), for the OpenAI-compatible API. A
/// worker serving part of a model lists nothing: the network's chains serve that model.
/// </summary>
internal sealed class LocalTextGenerationBackend(InferenceModelHost host, TokenMeter meter) : ITextGenerationBackend
{
    /// <summary>The <c>owned_by</c> of the models this backend lists.</summary>
    public const string Owner = "kwaainet";

    public IReadOnlyList<TextGenerationModel> Models
    {
        get
        {
            var status = host.Status;
            if (status.Span is { } span)
            {
                return span.Whole is null
                    ? []
                    : [new TextGenerationModel(host.CurrentModel, Owner, span.Span.MaxSequenceLength)];
            }

            // A span that does not start at block 0 is never the whole model; any other may be.
            return host.Current is { Start: > 0 }
                ? []
                : [new TextGenerationModel(host.CurrentModel, Owner, null, status.Detail)];
        }
    }

    public ITextGenerator? GetGenerator(string modelId)
    {
        var status = host.Status;
        return status.Span is { Whole: { } whole } span && string.Equals(modelId, host.CurrentModel, StringComparison.Ordinal)
            ? new WholeModelTextGenerator(whole, host.CurrentModel, span.Span.MaxSequenceLength, meter)
            : null;
    }
}
