// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>The values of GGUF <c>tokenizer.ggml.token_type</c>, one per token.</summary>
public enum GgufTokenType
{
    /// <summary>No type given (0 is not written by converters; treated as <see cref="Normal"/>).</summary>
    Undefined = 0,

    /// <summary>An ordinary vocabulary piece.</summary>
    Normal = 1,

    /// <summary>The unknown token (<c>&lt;unk&gt;</c>).</summary>
    Unknown = 2,

    /// <summary>A control token (<c>&lt;s&gt;</c>, <c>&lt;|eot_id|&gt;</c>): matched in text as a whole, never printed.</summary>
    Control = 3,

    /// <summary>A user-defined token: matched in text as a whole and printed as written.</summary>
    UserDefined = 4,

    /// <summary>A reserved, unused slot.</summary>
    Unused = 5,

    /// <summary>A SentencePiece byte-fallback token (<c>&lt;0x41&gt;</c>).</summary>
    Byte = 6,
}
