// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.ML.OnnxRuntime;

namespace KwaaiNet.Inference.Runtime;

/// <summary>
/// Chooses the execution provider: a GPU provider when <c>use_gpu</c> is on and it actually initialises, else CPU.
/// ONNX Runtime does not fall back by itself: appending CUDA without its libraries throws, so that is caught here.
/// </summary>
public static class ExecutionProviders
{
    /// <summary>The CPU provider, always present.</summary>
    public const string Cpu = "CPUExecutionProvider";

    /// <summary>NVIDIA CUDA (the .Gpu package on Linux and Windows).</summary>
    public const string Cuda = "CUDAExecutionProvider";

    /// <summary>Apple CoreML (in the CPU package on macOS).</summary>
    public const string CoreMl = "CoreMLExecutionProvider";

    /// <summary>DirectML (its own Windows package).</summary>
    public const string DirectMl = "DmlExecutionProvider";

    /// <summary>The package this build references.</summary>
    public const string PackageName =
#if KWAAINET_CUDA
        "Microsoft.ML.OnnxRuntime.Gpu";
#elif KWAAINET_DIRECTML
        "Microsoft.ML.OnnxRuntime.DirectML";
#else
        "Microsoft.ML.OnnxRuntime";
#endif

    /// <summary>Probes the loaded ONNX Runtime and picks a provider.</summary>
    public static ExecutionProviderChoice Choose(bool useGpu)
    {
        var env = OrtEnv.Instance();
        var available = env.GetAvailableProviders();
        var version = env.GetVersionString();
        if (!useGpu)
        {
            return new ExecutionProviderChoice(version, PackageName, available, Cpu, "use_gpu is off");
        }

        List<string> failures = [];
        foreach (var candidate in (ReadOnlySpan<string>)[Cuda, CoreMl, DirectMl])
        {
            if (!available.Contains(candidate, StringComparer.Ordinal))
            {
                continue;
            }

            if (TryAppend(candidate, out var error))
            {
                return new ExecutionProviderChoice(version, PackageName, available, candidate, $"{candidate} initialised");
            }

            failures.Add($"{candidate}: {error}");
        }

        var reason = failures.Count == 0
            ? $"no GPU provider in {PackageName} (build with -p:UseCuda=true for CUDA, -p:UseDirectML=true for DirectML on Windows)"
            : "GPU providers failed to initialise: " + string.Join("; ", failures);
        return new ExecutionProviderChoice(version, PackageName, available, Cpu, reason);
    }

    /// <summary>Appends <paramref name="provider"/> to <paramref name="options"/>; the CPU provider needs nothing.</summary>
    /// <exception cref="ArgumentException">The name is not one of this class's providers.</exception>
    internal static void Append(SessionOptions options, string provider)
    {
        switch (provider)
        {
            case Cpu:
                break;
            case Cuda:
                options.AppendExecutionProvider_CUDA(0);
                break;
            case CoreMl:
                options.AppendExecutionProvider_CoreML();
                break;
            case DirectMl:
                options.AppendExecutionProvider_DML(0);
                break;
            default:
                throw new ArgumentException($"unknown execution provider '{provider}'", nameof(provider));
        }
    }

    private static bool TryAppend(string provider, out string? error)
    {
        try
        {
            using var options = new SessionOptions();
            Append(options, provider);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException or NotSupportedException)
        {
            error = ex.Message;
            return false;
        }
    }
}
