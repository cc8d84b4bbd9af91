// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Runtime;

/// <summary>Which ONNX Runtime execution providers exist in the loaded package, and the one sessions will use.</summary>
/// <param name="OnnxRuntimeVersion">The native library's version.</param>
/// <param name="Package">The NuGet package the worker was built with.</param>
/// <param name="Available">Providers compiled into the loaded native library.</param>
/// <param name="Selected">The provider sessions use.</param>
/// <param name="Reason">Why <paramref name="Selected"/> was chosen (for the log and the Info call).</param>
public sealed record ExecutionProviderChoice(
    string OnnxRuntimeVersion,
    string Package,
    IReadOnlyList<string> Available,
    string Selected,
    string Reason);
