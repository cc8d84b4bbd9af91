// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Runtime;

/// <summary>ONNX Runtime session options for the chosen execution provider.</summary>
/// <remarks>
/// By default ONNX Runtime's pool threads keep spinning for a while after a run returns. With several sessions in one
/// process (embedding, span and head; or several spans) the idle session's spinning threads then take the cores the
/// next session's run needs: on 2 cores that made a whole-model decode step of the inference benchmark's TinyLlama
/// shape take about 50 ms instead of about 33 ms. <c>session.force_spinning_stop</c> ends the spinning when the last
/// concurrent run of the session returns; spinning inside a run, between its parallel sections, stays on.
/// </remarks>
public static class ProviderSessionOptions
{
    /// <summary>
    /// Options that run on <paramref name="provider"/> (one of <see cref="ExecutionProviders"/>' names) with every
    /// graph optimisation, sequential execution, <paramref name="threads"/> intra-op threads (0: ONNX Runtime's default),
    /// and pool threads that stop spinning when a run returns. The caller disposes them.
    /// </summary>
    /// <param name="provider">The execution provider's name.</param>
    /// <param name="threads">Intra-op threads, the calling thread included; 0 for ONNX Runtime's default.</param>
    /// <param name="prepacking">
    /// Whether ONNX Runtime may repack MatMul weights into its kernel layout at load (faster on the CPU; the packed copy
    /// replaces the original, so the resident size stays about the weights' size). On by default.
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    /// <exception cref="OnnxRuntimeException">The provider does not initialise (probe with <see cref="ExecutionProviders.Choose"/> first).</exception>
    public static SessionOptions Create(string provider, int threads, bool prepacking = true)
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
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
            options.AddSessionConfigEntry("session.force_spinning_stop", "1");
            if (!prepacking)
            {
                options.AddSessionConfigEntry("session.disable_prepacking", "1");
            }

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
