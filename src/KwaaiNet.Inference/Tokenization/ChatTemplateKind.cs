// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>The chat prompt formats rendered in code.</summary>
public enum ChatTemplateKind
{
    /// <summary>
    /// Llama-3 / 3.1: <c>&lt;|begin_of_text|&gt;</c>, then per message
    /// <c>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt;</c>.
    /// </summary>
    Llama3,

    /// <summary>Llama-2 chat: <c>&lt;s&gt;[INST] &lt;&lt;SYS&gt;&gt;\n…\n&lt;&lt;/SYS&gt;&gt;\n\nuser [/INST] assistant &lt;/s&gt;</c>.</summary>
    Llama2,

    /// <summary>Zephyr / TinyLlama: <c>&lt;|role|&gt;\ncontent&lt;/s&gt;\n</c> per message.</summary>
    Zephyr,

    /// <summary>ChatML: <c>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n</c> per message.</summary>
    ChatMl,
}
