// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Inference;

internal static partial class Log
{
    private const int Base = 2000;

    [LoggerMessage(EventId = Base + 1, EventName = nameof(ProviderSelected), Level = LogLevel.Information,
        Message = "ONNX Runtime {OnnxRuntimeVersion} ({Package}): using {Provider} because {Reason}; available: {Available}")]
    public static partial void ProviderSelected(this ILogger logger, string onnxRuntimeVersion, string package, string provider, string reason, string available);
}
