// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Onnx;

/// <summary>
/// The element type of a Llama graph: its weights, activations, KV cache and its inputs and outputs alike. A graph
/// has no casts at its boundaries, so a caller feeds and reads tensors of this type.
/// </summary>
public enum LlamaGraphPrecision
{
    /// <summary>fp32 throughout (the CPU provider; ONNX Runtime's CUDA GroupQueryAttention has no fp32 kernel).</summary>
    Fp32,

    /// <summary>
    /// fp16 throughout, including hidden states and the KV cache, which is what the CUDA provider runs and what
    /// travels between servers. RMSNorm statistics are still accumulated in fp32 (<c>stash_type = 1</c>).
    /// </summary>
    Fp16,
}
