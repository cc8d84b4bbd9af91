// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// A chat prompt format, rendered in code as the model's Jinja template would render it. Llama-3 and Llama-2
/// prompts start with the BOS token's text (<see cref="RendersBos"/>), so encode them without adding another BOS;
/// control tokens in the rendered text are recognized by the tokenizer.
/// </summary>
public sealed class ChatFormat
{
    internal ChatFormat(ChatTemplateKind kind, string bosText, string eosText)
    {
        Kind = kind;
        BosText = bosText;
        EosText = eosText;
    }

    /// <summary>The format.</summary>
    public ChatTemplateKind Kind { get; }

    /// <summary>The BOS token's text (<c>&lt;s&gt;</c>, <c>&lt;|begin_of_text|&gt;</c>).</summary>
    public string BosText { get; }

    /// <summary>The EOS token's text (<c>&lt;/s&gt;</c>), which ends messages in the Llama-2 and Zephyr formats.</summary>
    public string EosText { get; }

    /// <summary>Whether <see cref="Render"/> starts the prompt with <see cref="BosText"/> (Llama-3, Llama-2).</summary>
    public bool RendersBos => Kind is ChatTemplateKind.Llama3 or ChatTemplateKind.Llama2;

    /// <summary>Renders a conversation as a prompt.</summary>
    /// <param name="messages">The messages in order. Llama-2 allows one leading system message, then user and
    /// assistant messages alternating from a user message.</param>
    /// <param name="addGenerationPrompt">Whether to end with the assistant's header, so that the model writes the
    /// next assistant message (Llama-2's prompt already ends where the assistant writes).</param>
    /// <returns>The prompt text.</returns>
    /// <exception cref="ArgumentException">A message is null, or the roles do not fit the format.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is not { Role: not null, Content: not null })
            {
                throw new ArgumentException($"Message {i} is null or has a null role or content.", nameof(messages));
            }
        }

        return Kind switch
        {
            ChatTemplateKind.Llama3 => RenderLlama3(messages, addGenerationPrompt),
            ChatTemplateKind.Llama2 => RenderLlama2(messages),
            ChatTemplateKind.Zephyr => RenderZephyr(messages, addGenerationPrompt),
            _ => RenderChatMl(messages, addGenerationPrompt),
        };
    }

    // Meta's template trims each message's content.
    private string RenderLlama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var prompt = new StringBuilder(BosText);
        foreach (var message in messages)
        {
            prompt.Append("<|start_header_id|>").Append(message.Role).Append("<|end_header_id|>\n\n")
                .Append(message.Content.Trim()).Append("<|eot_id|>");
        }

        if (addGenerationPrompt)
        {
            prompt.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }

        return prompt.ToString();
    }

    // Meta's Llama-2 template: the system prompt goes inside the first [INST] block; each user turn is
    // "<s>[INST] content [/INST]" and each assistant turn " content </s>", contents stripped.
    private string RenderLlama2(IReadOnlyList<ChatMessage> messages)
    {
        var first = 0;
        string? system = null;
        if (messages.Count > 0 && messages[0].Role == ChatMessage.SystemRole)
        {
            system = messages[0].Content;
            first = 1;
        }

        var prompt = new StringBuilder();
        for (var i = first; i < messages.Count; i++)
        {
            var message = messages[i];
            var expected = (i - first) % 2 == 0 ? ChatMessage.UserRole : ChatMessage.AssistantRole;
            if (message.Role != expected)
            {
                throw new ArgumentException(
                    $"Message {i} has role '{message.Role}', but the Llama-2 format needs '{expected}' there: one optional " +
                    "system message, then user and assistant messages alternating.",
                    nameof(messages));
            }

            var content = message.Content;
            if (i == first && system is not null)
            {
                content = "<<SYS>>\n" + system + "\n<</SYS>>\n\n" + content;
            }

            if (expected == ChatMessage.UserRole)
            {
                prompt.Append(BosText).Append("[INST] ").Append(content.Trim()).Append(" [/INST]");
            }
            else
            {
                prompt.Append(' ').Append(content.Trim()).Append(' ').Append(EosText);
            }
        }

        return prompt.ToString();
    }

    private string RenderZephyr(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            prompt.Append("<|").Append(message.Role).Append("|>\n").Append(message.Content).Append(EosText).Append('\n');
        }

        if (addGenerationPrompt)
        {
            prompt.Append("<|assistant|>\n");
        }

        return prompt.ToString();
    }

    private static string RenderChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var prompt = new StringBuilder();
        foreach (var message in messages)
        {
            prompt.Append("<|im_start|>").Append(message.Role).Append('\n').Append(message.Content).Append("<|im_end|>\n");
        }

        if (addGenerationPrompt)
        {
            prompt.Append("<|im_start|>assistant\n");
        }

        return prompt.ToString();
    }
}
