// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Model;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// A Llama model's weights read from a <see cref="GgufFile"/>, dequantized on each <see cref="ReadFloat32"/>. The file
/// stays owned by the caller and must outlive this object.
/// </summary>
public sealed class GgufLlamaWeights : ILlamaWeights
{
    private readonly GgufFile _file;

    /// <summary>Wraps <paramref name="file"/>, reading the config from its metadata.</summary>
    public GgufLlamaWeights(GgufFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        _file = file;
        Config = LlamaGguf.ReadConfig(file);
    }

    /// <inheritdoc />
    public LlamaConfig Config { get; }

    /// <inheritdoc />
    public bool Contains(string name) => _file.TryGetTensor(name, out _);

    /// <inheritdoc />
    public IReadOnlyList<long> Shape(string name) => [.. _file.GetTensor(name).Dimensions.Select(d => (long)d)];

    /// <inheritdoc />
    public float[] ReadFloat32(string name) => _file.ReadFloat32(_file.GetTensor(name));
}
