// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>Ends a request with <see cref="Error"/>; thrown while a request is read and checked.</summary>
internal sealed class OpenAiRequestException(OpenAiError error) : Exception(error.Message)
{
    public OpenAiError Error { get; } = error;
}
