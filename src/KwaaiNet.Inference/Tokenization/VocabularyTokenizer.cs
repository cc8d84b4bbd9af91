// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Tokenization;

/// <summary>
/// What both GGUF tokenizers share: the vocabulary, the splitter that finds control and user-defined tokens written in
/// the text, and the ids that end a generation.
/// </summary>
internal abstract class VocabularyTokenizer : ITextTokenizer
{
    private readonly HashSet<int> _endOfGeneration;

    protected VocabularyTokenizer(GgufVocabulary vocabulary)
    {
        Vocabulary = vocabulary;
        Specials = new SpecialTokenSplitter(vocabulary);
        _endOfGeneration = TextTokenizer.EndOfGenerationIds(vocabulary);
    }

    public int VocabSize => Vocabulary.Tokens.Count;

    public int BosId => Vocabulary.BosId;

    public int EosId => Vocabulary.EosId;

    protected GgufVocabulary Vocabulary { get; }

    protected SpecialTokenSplitter Specials { get; }

    public bool IsEndOfGeneration(int id) => _endOfGeneration.Contains(id);

    public abstract IReadOnlyList<int> Encode(string text, bool addBos);

    public abstract string Decode(IEnumerable<int> ids);
}
