// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Runtime;

/// <summary>
/// The session options the Llama graphs run best with on the CPU provider: a fixed intra-op thread count, sequential
/// execution, every graph optimization, and pool threads that spin while a run is in flight but stop when it returns.
/// </summary>
/// <remarks>
/// By default ONNX Runtime's pool threads keep spinning for a while after a run returns. With several sessions in one
/// process (embedding, span and head; or several spans) the idle session's spinning threads then take the cores
/// the next session's run needs: on 2 cores that made a whole-model decode step take about 50 ms instead of about
/// 33 ms (the inference benchmark's TinyLlama shape). <c>session.force_spinning_stop</c> ends the spinning when the
/// last concurrent run of the session returns; spinning inside a run, between its parallel sections, stays on.
/// </remarks>
public static class CpuSessionOptions
{
    /// <summary>Creates the options; the caller disposes them (typically once the session is created).</summary>
    /// <param name="threads">Intra-op threads, the calling thread included (ONNX Runtime's count); at least 1.</param>
    /// <param name="prepacking">
    /// Whether ONNX Runtime may repack MatMul weights into its kernel layout at load (faster single-token MatMuls; the
    /// packed copy replaces the original, so the resident size stays about the weights' size).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is below 1.</exception>
    public static SessionOptions Create(int threads, bool prepacking = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var options = new SessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        try
        {
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
            options.AddSessionConfigEntry("session.force_spinning_stop", "1");
            if (!prepacking)
            {
                options.AddSessionConfigEntry("session.disable_prepacking", "1");
            }
        }
        catch
        {
            options.Dispose();
            throw;
        }

        return options;
    }
}
