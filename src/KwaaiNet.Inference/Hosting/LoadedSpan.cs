// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using KwaaiNet.Inference.Sessions;

namespace KwaaiNet.Inference.Hosting;

/// <summary>
/// What a ready worker serves: its span's sessions and, when the span is the whole model, the pieces that generate
/// text (embeddings, head, tokenizer).
/// </summary>
internal sealed class LoadedSpan(
    string path,
    LlamaConfig config,
    string provider,
    SpanModel span,
    SpanSessionManager sessions,
    WholeModel? whole,
    string? wholeModelProblem) : IDisposable
{
    public string Path { get; } = path;

    public LlamaConfig Config { get; } = config;

    public string Provider { get; } = provider;

    public SpanModel Span { get; } = span;

    public SpanSessionManager Sessions { get; } = sessions;

    /// <summary>Set when the span is every block and the text-generation pieces loaded.</summary>
    public WholeModel? Whole { get; } = whole;

    /// <summary>Why <see cref="Whole"/> is null although the span is every block (e.g. a malformed tokenizer), else null.</summary>
    public string? WholeModelProblem { get; } = wholeModelProblem;

    public string DataType => Span.Precision == LlamaGraphPrecision.Fp16 ? HiddenStatesCodec.Float16 : HiddenStatesCodec.Float32;

    public void Dispose()
    {
        Sessions.Dispose();
        Whole?.Dispose();
        Span.Dispose();
    }
}
