// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Model;
using KwaaiNet.Inference.Onnx;

namespace KwaaiNet.Inference.Hosting;

/// <summary>A span about to be loaded: the open model file, its shape, and the blocks and precision chosen.</summary>
internal sealed record LoadPlan(
    string Path,
    GgufFile File,
    LlamaConfig Config,
    int Start,
    int End,
    LlamaGraphPrecision Precision,
    string DataType,
    string Provider);
