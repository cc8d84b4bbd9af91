// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Tokenization;
using static KwaaiNet.Inference.Tests.Tokenization.TestVocabularies;

namespace KwaaiNet.Inference.Tests.Tokenization;

public sealed class ChatTemplateTests
{
    // Excerpts of the templates shipped in GGUF files.
    private const string Llama3Template =
        "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + " +
        "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}" +
        "{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}" +
        "{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";

    private const string Llama2Template =
        "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = " +
        "messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}" +
        "{% for message in loop_messages %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + " +
        "content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + " +
        "eos_token }}{% endif %}{% endfor %}";

    private const string ZephyrTemplate =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + " +
        "eos_token }}\n{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}" +
        "\n{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    private const string ChatMlTemplate =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + " +
        "'\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private static readonly string[] NoMerges = [];
    private static readonly string[] Llama3Controls =
        ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];

    private static readonly (string, float)[] NoPieces = [("▁", -1)];

    private static readonly ChatMessage[] Conversation =
    [
        new(ChatMessage.SystemRole, "You are helpful."),
        new(ChatMessage.UserRole, "Hi"),
        new(ChatMessage.AssistantRole, "Hello!"),
        new(ChatMessage.UserRole, "How are you?"),
    ];

    private static GgufVocabulary Llama3Vocabulary => ByteLevel(NoMerges, Llama3Controls, "llama-bpe");

    private static GgufVocabulary Llama2Vocabulary => SentencePiece(NoPieces);

    [Fact]
    public void Render_Llama3_GivesMetaFormat()
    {
        var format = ChatTemplate.Detect(Llama3Template, Llama3Vocabulary);

        Assert.Equal(ChatTemplateKind.Llama3, format.Kind);
        Assert.True(format.RendersBos);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are helpful.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nHow are you?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            format.Render(Conversation, addGenerationPrompt: true));
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
            format.Render([new(ChatMessage.UserRole, "  Hi\n")], addGenerationPrompt: false));
    }

    [Fact]
    public void Render_Llama3_EncodesWithControlTokens()
    {
        var vocabulary = Llama3Vocabulary;
        var tokenizer = TextTokenizer.FromVocabulary(vocabulary);
        var prompt = ChatTemplate.Detect(Llama3Template, vocabulary).Render([new(ChatMessage.UserRole, "Hi")], true);

        var pieces = Pieces(vocabulary, tokenizer.Encode(prompt, addBos: false));

        Assert.Equal(
            ["<|begin_of_text|>", "<|start_header_id|>", "u", "s", "e", "r", "<|end_header_id|>", "Ċ", "Ċ", "H", "i", "<|eot_id|>",
             "<|start_header_id|>", "a", "s", "s", "i", "s", "t", "a", "n", "t", "<|end_header_id|>", "Ċ", "Ċ"],
            pieces);
    }

    [Fact]
    public void Render_Llama2_GivesMetaFormat()
    {
        var format = ChatTemplate.Detect(Llama2Template, Llama2Vocabulary);

        Assert.Equal(ChatTemplateKind.Llama2, format.Kind);
        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are helpful.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] How are you? [/INST]",
            format.Render(Conversation, addGenerationPrompt: true));
        Assert.Equal("<s>[INST] Hi [/INST]", format.Render([new(ChatMessage.UserRole, " Hi ")], addGenerationPrompt: true));
    }

    [Fact]
    public void Render_Llama2_RolesOutOfOrder_Throws()
    {
        var format = ChatTemplate.Detect(Llama2Template, Llama2Vocabulary);

        var error = Assert.Throws<ArgumentException>(() => format.Render(
            [new(ChatMessage.UserRole, "a"), new(ChatMessage.UserRole, "b")], addGenerationPrompt: true));
        Assert.Contains("alternating", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => format.Render([new(ChatMessage.AssistantRole, "a")], true));
    }

    [Fact]
    public void Render_Zephyr_GivesTinyLlamaFormat()
    {
        var format = ChatTemplate.Detect(ZephyrTemplate, Llama2Vocabulary);

        Assert.Equal(ChatTemplateKind.Zephyr, format.Kind);
        Assert.False(format.RendersBos);
        Assert.Equal(
            "<|system|>\nYou are helpful.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nHow are you?</s>\n<|assistant|>\n",
            format.Render(Conversation, addGenerationPrompt: true));
        Assert.Equal("<|user|>\nHi</s>\n", format.Render([new(ChatMessage.UserRole, "Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void Render_ChatMl_GivesImStartFormat()
    {
        var format = ChatTemplate.Detect(ChatMlTemplate, Llama2Vocabulary);

        Assert.Equal(ChatTemplateKind.ChatMl, format.Kind);
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            format.Render([new(ChatMessage.UserRole, "Hi")], addGenerationPrompt: true));
    }

    [Fact]
    public void Detect_NoTemplate_FallsBackOnTheVocabulary()
    {
        Assert.Equal(ChatTemplateKind.Llama3, ChatTemplate.Detect(null, Llama3Vocabulary).Kind);
        Assert.Equal(ChatTemplateKind.Llama2, ChatTemplate.Detect(null, Llama2Vocabulary).Kind);
        Assert.Equal(ChatTemplateKind.Llama2, ChatTemplate.Detect("{{ messages }}", Llama2Vocabulary).Kind);
        Assert.Equal(ChatTemplateKind.Llama3, ChatTemplate.Detect("{{ messages }}", Llama3Vocabulary).Kind);
    }

    [Fact]
    public void Render_NullMessage_Throws()
    {
        var format = ChatTemplate.Detect(null, Llama3Vocabulary);

        Assert.Throws<ArgumentException>(() => format.Render([null!], true));
        Assert.Throws<ArgumentException>(() => format.Render([new(ChatMessage.UserRole, null!)], true));
    }
}
