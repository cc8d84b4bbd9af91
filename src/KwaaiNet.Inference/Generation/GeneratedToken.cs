// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Generation;

/// <summary>
/// One token of a generation, as <see cref="LlamaGenerator.GenerateAsync"/> streams them. Only the last item has a
/// <see cref="FinishReason"/>, so a caller can forward ids as they come and learn from the last one why it ended.
/// </summary>
/// <param name="Id">The token id.</param>
/// <param name="Index">The token's position among the generated tokens: 0, 1, 2, …</param>
/// <param name="FinishReason">
/// Null while the generation goes on. <see cref="GenerationFinishReason.Length"/> on the item that reached
/// <see cref="GenerationRequest.MaxNewTokens"/>: an ordinary token. <see cref="GenerationFinishReason.Stop"/> on an item
/// that IS the stop token the model generated: it ends the sequence and is not part of the text (see
/// <see cref="IsText"/>), but its id is kept for callers that report which stop token ended it (Hugging Face keeps the
/// end-of-sequence token in its output ids; detokenizers skip it). A stop token takes precedence over the length.
/// </param>
public readonly record struct GeneratedToken(int Id, int Index, GenerationFinishReason? FinishReason)
{
    /// <summary>False only for the stop token that ends a generation (<see cref="GenerationFinishReason.Stop"/>).</summary>
    public bool IsText => FinishReason != GenerationFinishReason.Stop;
}
