// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Generation;

/// <summary>
/// The client's part of a Llama model, the pieces around the decoder layers that servers run: the token embedding
/// (<see cref="LlamaEmbeddingGraph"/>) and the final RMSNorm with the LM head (<see cref="LlamaHeadGraph"/>), each
/// loaded into its own ONNX Runtime session. Callers always see fp32; an fp16 graph is converted at the boundary.
/// </summary>
/// <remarks>Thread-safe: ONNX Runtime's <c>Run</c> is, and no state is kept between calls.</remarks>
public sealed class LlamaClientModel : IDisposable
{
    private readonly InferenceSession _embedding;
    private readonly InferenceSession _head;
    private readonly string[] _embeddingOutputs = [LlamaEmbeddingGraph.HiddenStates];
    private readonly string[] _headOutputs = [LlamaHeadGraph.Logits];

    /// <summary>Builds both graphs from <paramref name="weights"/> and loads them.</summary>
    /// <param name="weights">The model.</param>
    /// <param name="precision">The graphs' element type (the CUDA provider runs fp16).</param>
    /// <param name="sessionOptions">
    /// Creates the session options (execution provider, threads), called once per graph; each is disposed once its
    /// graph is loaded. Plain CPU options when null.
    /// </param>
    /// <exception cref="InvalidDataException">A tensor is missing or has the wrong shape.</exception>
    public LlamaClientModel(
        ILlamaWeights weights, LlamaGraphPrecision precision = LlamaGraphPrecision.Fp32, Func<SessionOptions>? sessionOptions = null)
    {
        ArgumentNullException.ThrowIfNull(weights);
        Config = weights.Config;
        Precision = precision;
        _embedding = Load(LlamaEmbeddingGraph.Build(weights, precision), sessionOptions);
        try
        {
            _head = Load(LlamaHeadGraph.Build(weights, precision), sessionOptions);
        }
        catch
        {
            _embedding.Dispose();
            throw;
        }
    }

    /// <summary>The model's shape.</summary>
    public LlamaConfig Config { get; }

    /// <summary>The graphs' element type.</summary>
    public LlamaGraphPrecision Precision { get; }

    /// <summary>The embeddings of <paramref name="tokenIds"/>: <c>[tokens, hidden]</c> row-major fp32.</summary>
    /// <exception cref="ArgumentException">There are no ids.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside <c>[0, vocabulary)</c>.</exception>
    public float[] Embed(ReadOnlySpan<int> tokenIds)
    {
        if (tokenIds.IsEmpty)
        {
            throw new ArgumentException("there are no token ids to embed", nameof(tokenIds));
        }

        // ONNX Runtime's Gather fails the whole run on an index out of range (or, on some providers, reads past the
        // table), so ids are checked here with a message that names the culprit.
        var ids = new long[tokenIds.Length];
        for (var i = 0; i < tokenIds.Length; i++)
        {
            var id = tokenIds[i];
            if ((uint)id >= (uint)Config.VocabSize)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(tokenIds), id, Invariant($"token id {id} at position {i} is outside the vocabulary [0, {Config.VocabSize})"));
            }

            ids[i] = id;
        }

        using var input = OrtValue.CreateTensorValueFromMemory(ids, [1, ids.Length]);
        return Run(_embedding, LlamaEmbeddingGraph.InputIds, input, _embeddingOutputs);
    }

    /// <summary>The vocabulary's logits for ONE token's last hidden state (final RMSNorm, then the LM head).</summary>
    /// <param name="hiddenState">The last decoder layer's output for the token, <see cref="LlamaConfig.HiddenSize"/> values.</param>
    /// <returns><see cref="LlamaConfig.VocabSize"/> fp32 logits.</returns>
    /// <exception cref="ArgumentException">The hidden state does not hold <see cref="LlamaConfig.HiddenSize"/> values.</exception>
    public float[] Logits(ReadOnlySpan<float> hiddenState)
    {
        if (hiddenState.Length != Config.HiddenSize)
        {
            throw new ArgumentException(
                Invariant($"a hidden state holds {Config.HiddenSize} values (the hidden size), not {hiddenState.Length}"), nameof(hiddenState));
        }

        long[] shape = [1, 1, Config.HiddenSize];
        using var input = Precision == LlamaGraphPrecision.Fp16
            ? OrtValue.CreateTensorValueFromMemory(Float16Values.FromFloats(hiddenState), shape)
            : OrtValue.CreateTensorValueFromMemory(hiddenState.ToArray(), shape);
        return Run(_head, LlamaHeadGraph.HiddenStates, input, _headOutputs);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _embedding.Dispose();
        _head.Dispose();
    }

    private static InferenceSession Load(byte[] model, Func<SessionOptions>? sessionOptions)
    {
        using var options = sessionOptions?.Invoke() ?? new SessionOptions();
        return new InferenceSession(model, options);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private float[] Run(InferenceSession session, string inputName, OrtValue input, string[] outputNames)
    {
        using var options = new RunOptions();
        using var results = session.Run(options, [inputName], [input], outputNames);
        if (Precision != LlamaGraphPrecision.Fp16)
        {
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }

        return Float16Values.ToFloats(results[0].GetTensorDataAsSpan<Float16>());
    }
}
