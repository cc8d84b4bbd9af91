// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Generation;

/// <summary>Why a generation ended (Hugging Face and OpenAI call these <c>length</c> and <c>stop</c>).</summary>
public enum GenerationFinishReason
{
    /// <summary><see cref="GenerationRequest.MaxNewTokens"/> tokens were generated.</summary>
    Length,

    /// <summary>The model generated one of <see cref="GenerationRequest.StopTokenIds"/>.</summary>
    Stop,
}
