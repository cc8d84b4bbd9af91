// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Inference.Model;

namespace KwaaiNet.Inference.Hosting;

/// <summary>Reports each block as its first tensor is read (<c>blk.{i}.*</c>), so that a long load shows progress.</summary>
internal sealed class BlockProgressWeights(ILlamaWeights inner, Action<int> blockStarted) : ILlamaWeights
{
    private const string Prefix = "blk.";
    private int _lastBlock = -1;

    public LlamaConfig Config => inner.Config;

    public bool Contains(string name) => inner.Contains(name);

    public IReadOnlyList<long> Shape(string name) => inner.Shape(name);

    public float[] ReadFloat32(string name)
    {
        if (name.StartsWith(Prefix, StringComparison.Ordinal)
            && name.IndexOf('.', Prefix.Length) is var dot and > 0
            && int.TryParse(name.AsSpan(Prefix.Length, dot - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var block)
            && block != _lastBlock)
        {
            _lastBlock = block;
            blockStarted(block);
        }

        return inner.ReadFloat32(name);
    }
}
