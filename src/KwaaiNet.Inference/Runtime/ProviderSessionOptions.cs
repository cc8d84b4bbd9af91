// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Runtime;

/// <summary>ONNX Runtime session options for the chosen execution provider.</summary>
public static class ProviderSessionOptions
{
    /// <summary>
    /// Options that run on <paramref name="provider"/> (one of <see cref="ExecutionProviders"/>' names) with every
    /// graph optimisation, sequential execution, and <paramref name="threads"/> intra-op threads (0: ONNX Runtime's default).
    /// The caller disposes them.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    /// <exception cref="OnnxRuntimeException">The provider does not initialise (probe with <see cref="ExecutionProviders.Choose"/> first).</exception>
    public static SessionOptions Create(string provider, int threads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
        };
        try
        {
            ExecutionProviders.Append(options, provider);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
