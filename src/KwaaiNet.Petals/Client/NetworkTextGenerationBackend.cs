// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Hivemind.Client;
using KwaaiNet.Inference.OpenAi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// The model the network's span chains serve, for the OpenAI-compatible API (the client role of a node): the model of
/// <see cref="DistributedGenerator"/> (<c>KwaaiNet:Node:model</c>, with its GGUF file here for the embeddings, head and
/// tokenizer), listed with its context length. Every <see cref="RefreshPeriod"/> the servers of its blocks are read from
/// the DHT (each look-up bounded by <see cref="LookupTimeout"/>); requests only read the last result, so none waits on
/// the DHT. A model whose blocks are not all served online is listed, not omitted, with
/// <see cref="TextGenerationModel.Unavailable"/> naming the unserved blocks, so <c>GET /v1/models</c> tells an operator
/// what is missing. Without the GGUF file this node lists nothing.
/// </summary>
public sealed class NetworkTextGenerationBackend : BackgroundService, ITextGenerationBackend
{
    /// <summary>The <c>owned_by</c> of the models this backend lists.</summary>
    public const string Owner = "kwaainet";

    /// <summary>How often the model's servers are read from the DHT: 5 s.</summary>
    public static readonly TimeSpan RefreshPeriod = TimeSpan.FromSeconds(5);

    /// <summary>The longest one read of the model's servers may take: 10 s.</summary>
    public static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private readonly IServiceProvider _services;
    private readonly ServerSpanSource _spans;
    private readonly TimeProvider _time;
    private readonly ILogger<NetworkTextGenerationBackend> _logger;
    private readonly string _modelId;
    private volatile Listing? _listing;

    /// <summary>Creates the backend; <see cref="DistributedGenerator"/> is resolved from <paramref name="services"/> when it starts.</summary>
    public NetworkTextGenerationBackend(
        IServiceProvider services,
        ServerSpanSource spans,
        IOptions<NodeOptions> node,
        TimeProvider timeProvider,
        ILogger<NetworkTextGenerationBackend> logger)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _services = services;
        _spans = spans;
        _time = timeProvider;
        _logger = logger;
        _modelId = node.Value.Model;
    }

    /// <inheritdoc/>
    public IReadOnlyList<TextGenerationModel> Models => _listing is { } listing ? [listing.Model] : [];

    /// <inheritdoc/>
    public ITextGenerator? GetGenerator(string modelId) =>
        _listing is { Model.IsReady: true, Generator: { } generator } && string.Equals(modelId, _modelId, StringComparison.Ordinal)
            ? generator
            : null;

    /// <summary>
    /// The blocks of [0, <paramref name="blockCount"/>) that no span in <paramref name="spans"/> covers, as
    /// <c>blocks [a, b), [c, d) are not served</c>; null when every block is served.
    /// </summary>
    public static string? DescribeUnservedBlocks(IReadOnlyList<ServerSpanInfo> spans, int blockCount)
    {
        ArgumentNullException.ThrowIfNull(spans);
        ArgumentOutOfRangeException.ThrowIfNegative(blockCount);
        var served = new bool[blockCount];
        foreach (var span in spans)
        {
            for (var block = Math.Max(span.Start, 0); block < Math.Min(span.End, blockCount); block++)
            {
                served[block] = true;
            }
        }

        var text = new StringBuilder();
        var gaps = 0;
        for (var block = 0; block < blockCount;)
        {
            if (served[block])
            {
                block++;
                continue;
            }

            var start = block;
            while (block < blockCount && !served[block])
            {
                block++;
            }

            text.Append(gaps++ == 0 ? "blocks " : ", ").Append(CultureInfo.InvariantCulture, $"[{start}, {block})");
        }

        return gaps == 0 ? null : text.Append(" are not served").ToString();
    }

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Loading the model's local parts reads the GGUF file: never on the host's start path.
        await Task.Yield();
        if (Load() is not { } generator)
        {
            return;
        }

        var contextLength = generator.Parts.Config.ContextLength;
        var textGenerator = generator.Parts.Format is { } format && contextLength > 0
            ? new NetworkTextGenerator(generator, format, _modelId, contextLength)
            : null;
        using var timer = new PeriodicTimer(RefreshPeriod, _time);
        do
        {
            var unavailable = textGenerator is null
                ? generator.Parts.TokenizerProblem ?? "the model's GGUF file has no context length"
                : await FindUnservedAsync(generator, stoppingToken);
            var previous = _listing;
            _listing = new Listing(new TextGenerationModel(_modelId, Owner, contextLength > 0 ? contextLength : null, unavailable), textGenerator);
            if (previous is null || previous.Model.Unavailable != unavailable)
            {
                _logger.NetworkModelListed(_modelId, generator.DhtPrefix, unavailable ?? "ready");
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private DistributedGenerator? Load()
    {
        try
        {
            return _services.GetRequiredService<DistributedGenerator>();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or FormatException or InvalidDataException)
        {
            _logger.NetworkModelNotListed(_modelId, e.Message);
            return null;
        }
    }

    /// <summary>Why the network cannot run the model now, or null when every block is served online.</summary>
    private async Task<string?> FindUnservedAsync(DistributedGenerator generator, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(LookupTimeout);
        var blocks = generator.Parts.Config.LayerCount;
        try
        {
            return DescribeUnservedBlocks(await _spans.ReadAsync(generator.DhtPrefix, blocks, timeout.Token), blocks);
        }
        catch (DhtUnavailableException e)
        {
            return "the DHT cannot be read: " + e.Message;
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return string.Create(CultureInfo.InvariantCulture, $"the DHT did not answer within {LookupTimeout.TotalSeconds} s");
        }
    }

    /// <summary>The model as listed now, and its generator when it has one.</summary>
    private sealed record Listing(TextGenerationModel Model, NetworkTextGenerator? Generator);
}
