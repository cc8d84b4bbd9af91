// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// A model's entry in the <c>_petals.models</c> registry, under the subkey of its dht prefix (docs/records.md §4):
/// Petals' <c>ModelInfo</c> (<c>num_blocks: conint(ge=1, strict)</c>, <c>repository: Optional[str] = None</c>), which
/// upstream KwaaiNet writes as <c>{"repository", "num_blocks"}</c>. <see cref="ModelInfoCodec"/> reads and writes it.
/// </summary>
/// <param name="Repository">Where the model comes from, e.g. <c>https://huggingface.co/unsloth/Llama-3.1-8B-Instruct</c>;
/// null when absent (Petals allows it, we always write it).</param>
/// <param name="NumBlocks">The model's layer count, at least 1.</param>
public sealed record ModelInfo(string? Repository, int NumBlocks)
{
    /// <summary>
    /// The repository upstream KwaaiNet announces for a Hugging Face model (<c>config.rs</c> <c>effective_repository</c>):
    /// <c>https://huggingface.co/{model}</c>.
    /// </summary>
    public static string HuggingFaceRepository(string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        return $"https://huggingface.co/{model}";
    }
}
