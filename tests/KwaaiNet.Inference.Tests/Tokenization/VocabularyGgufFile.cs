// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Inference.Tokenization;

namespace KwaaiNet.Inference.Tests.Tokenization;

/// <summary>
/// Writes a vocabulary as a tensor-less GGUF v3 file (a tiny Llama shape plus the <c>tokenizer.ggml.*</c> keys), which
/// llama.cpp loads with <c>vocab_only</c>. Deleted on dispose.
/// </summary>
internal sealed class VocabularyGgufFile : IDisposable
{
    // GGUF metadata value types.
    private const uint TypeUInt32 = 4;
    private const uint TypeInt32 = 5;
    private const uint TypeFloat32 = 6;
    private const uint TypeBool = 7;
    private const uint TypeString = 8;
    private const uint TypeArray = 9;

    public VocabularyGgufFile(GgufVocabulary vocabulary)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kwaainet-vocab-{Guid.NewGuid():N}.gguf");
        var entries = new List<Action<BinaryWriter>>
        {
            w => WriteString(w, "general.architecture", "llama"),
            w => WriteUInt32(w, "llama.context_length", 64),
            w => WriteUInt32(w, "llama.embedding_length", 8),
            w => WriteUInt32(w, "llama.block_count", 1),
            w => WriteUInt32(w, "llama.feed_forward_length", 16),
            w => WriteUInt32(w, "llama.attention.head_count", 2),
            w => WriteUInt32(w, "llama.attention.head_count_kv", 2),
            w => WriteUInt32(w, "llama.rope.dimension_count", 4),
            w => WriteFloat32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f),
            w => WriteString(w, "tokenizer.ggml.model", vocabulary.Model),
            w => WriteString(w, "tokenizer.ggml.pre", vocabulary.Pre ?? "default"),
            w => WriteStrings(w, "tokenizer.ggml.tokens", vocabulary.Tokens),
            w => WriteUInt32(w, "tokenizer.ggml.bos_token_id", (uint)vocabulary.BosId),
            w => WriteUInt32(w, "tokenizer.ggml.eos_token_id", (uint)vocabulary.EosId),
            w => WriteBool(w, "tokenizer.ggml.add_bos_token", vocabulary.AddBos),
            w => WriteBool(w, "tokenizer.ggml.add_space_prefix", vocabulary.AddSpacePrefix),
        };
        if (vocabulary.Scores is { } scores)
        {
            entries.Add(w => WriteArrayHeader(w, "tokenizer.ggml.scores", TypeFloat32, scores.Count, () =>
            {
                foreach (var score in scores)
                {
                    w.Write(score);
                }
            }));
        }

        if (vocabulary.TokenTypes is { } types)
        {
            entries.Add(w => WriteArrayHeader(w, "tokenizer.ggml.token_type", TypeInt32, types.Count, () =>
            {
                foreach (var type in types)
                {
                    w.Write(type);
                }
            }));
        }

        if (vocabulary.Merges is { } merges)
        {
            entries.Add(w => WriteStrings(w, "tokenizer.ggml.merges", merges));
        }

        if (vocabulary.UnknownId is { } unknown)
        {
            entries.Add(w => WriteUInt32(w, "tokenizer.ggml.unknown_token_id", (uint)unknown));
        }

        using var writer = new BinaryWriter(File.Create(Path), Encoding.UTF8);
        writer.Write(0x46554747u);  // "GGUF"
        writer.Write(3u);
        writer.Write(0UL);          // tensors
        writer.Write((ulong)entries.Count);
        foreach (var entry in entries)
        {
            entry(writer);
        }
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);

    private static void WriteText(BinaryWriter w, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteString(BinaryWriter w, string key, string value)
    {
        WriteText(w, key);
        w.Write(TypeString);
        WriteText(w, value);
    }

    private static void WriteUInt32(BinaryWriter w, string key, uint value)
    {
        WriteText(w, key);
        w.Write(TypeUInt32);
        w.Write(value);
    }

    private static void WriteFloat32(BinaryWriter w, string key, float value)
    {
        WriteText(w, key);
        w.Write(TypeFloat32);
        w.Write(value);
    }

    private static void WriteBool(BinaryWriter w, string key, bool value)
    {
        WriteText(w, key);
        w.Write(TypeBool);
        w.Write(value);
    }

    private static void WriteStrings(BinaryWriter w, string key, IReadOnlyList<string> values) =>
        WriteArrayHeader(w, key, TypeString, values.Count, () =>
        {
            foreach (var value in values)
            {
                WriteText(w, value);
            }
        });

    private static void WriteArrayHeader(BinaryWriter w, string key, uint elementType, int count, Action writeElements)
    {
        WriteText(w, key);
        w.Write(TypeArray);
        w.Write(elementType);
        w.Write((ulong)count);
        writeElements();
    }
}
