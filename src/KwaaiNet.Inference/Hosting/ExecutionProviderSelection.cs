// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The provider choice, probed once per process (probing CUDA loads large native libraries).</summary>
internal sealed class ExecutionProviderSelection(IOptions<NodeOptions> options, ILogger<ExecutionProviderSelection> logger)
{
    private readonly Lazy<ExecutionProviderChoice> _choice = new(() =>
    {
        var choice = ExecutionProviders.Choose(options.Value.UseGpu);
        var available = string.Join(", ", choice.Available);
        logger.ProviderSelected(choice.OnnxRuntimeVersion, choice.Package, choice.Selected, choice.Reason, available);
        return choice;
    });

    public ExecutionProviderChoice Choice => _choice.Value;
}
