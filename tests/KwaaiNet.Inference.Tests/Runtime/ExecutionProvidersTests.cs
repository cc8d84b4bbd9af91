// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Runtime;

namespace KwaaiNet.Inference.Tests.Runtime;

public sealed class ExecutionProvidersTests
{
    [Fact]
    public void Choose_UseGpuOff_SelectsCpu()
    {
        var choice = ExecutionProviders.Choose(useGpu: false);

        Assert.Equal(ExecutionProviders.Cpu, choice.Selected);
        Assert.Equal("use_gpu is off", choice.Reason);
        Assert.Contains(ExecutionProviders.Cpu, choice.Available);
        Assert.False(string.IsNullOrWhiteSpace(choice.OnnxRuntimeVersion));
        Assert.Matches(@"^\d+\.\d+\.\d+", choice.OnnxRuntimeVersion);
        Assert.Equal("Microsoft.ML.OnnxRuntime", choice.Package);
    }

    [Fact]
    public void Choose_UseGpuOnCpuPackage_FallsBackToCpuSayingNoGpuProvider()
    {
        // The CPU package carries CoreML on macOS; on Linux and Windows it has no GPU provider.
        Assert.SkipWhen(OperatingSystem.IsMacOS(), "the CPU package includes CoreML on macOS");

        var choice = ExecutionProviders.Choose(useGpu: true);

        Assert.DoesNotContain(ExecutionProviders.Cuda, choice.Available);
        Assert.Equal(ExecutionProviders.Cpu, choice.Selected);
        Assert.Equal("no GPU provider in Microsoft.ML.OnnxRuntime (build with -p:UseCuda=true for CUDA, -p:UseDirectML=true for DirectML on Windows)", choice.Reason);
    }

    [Fact]
    public void Choose_Twice_ReportsSameRuntime()
    {
        var off = ExecutionProviders.Choose(useGpu: false);
        var on = ExecutionProviders.Choose(useGpu: true);

        Assert.Equal(off.OnnxRuntimeVersion, on.OnnxRuntimeVersion);
        Assert.Equal(off.Available, on.Available);
    }
}
