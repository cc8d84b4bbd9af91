// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Every DHT record one node stores to announce what it serves, exactly as docs/records.md §2 lists them; pure
/// functions of an <see cref="AnnouncedNode"/>, the time and the TTL.
/// <list type="number">
/// <item>a ServerInfo under <c>{kwaai_prefix}.{b}</c> for every served block <c>b</c>, subkey the peer id;</item>
/// <item>the same under <c>{petals_prefix}.{b}</c> while Petals serving is on and the two prefixes differ;</item>
/// <item>a ModelInfo under <c>_petals.models</c>, subkey each prefix written (none for a private prefix);</item>
/// <item>the ServerInfo of the widest span under <c>_kwaai.inference.nodes</c>, subkey the peer id.</item>
/// </list>
/// </summary>
public static class AnnouncementRecords
{
    /// <summary>
    /// The records that announce <paramref name="node"/>: rows 1 to 4 of docs/records.md §2, in that order (blocks
    /// ascending), each expiring at <paramref name="now"/> + <paramref name="ttl"/>. Where spans overlap, a block
    /// carries the span that reaches furthest (largest end; ties: the lowest start), as upstream's chain discovery
    /// prefers; row 4 carries the widest span (ties: the lowest start).
    /// </summary>
    /// <exception cref="ArgumentException">The node breaks a rule of docs/records.md (no span, a span outside the
    /// model, an invalid prefix, a figure a strict reader would reject), or the TTL is not positive.</exception>
    public static IReadOnlyList<AnnouncementRecord> Create(AnnouncedNode node, DateTimeOffset now, TimeSpan ttl)
    {
        var expiration = Validate(node, now, ttl);
        var kwaaiPrefix = KwaaiNetPrefix(node);
        var petalsPrefix = PetalsPrefix(node);
        var peerId = node.PeerId.ToBase58();
        var records = BlockRecords(node, kwaaiPrefix, petalsPrefix, peerId, expiration, offline: false);

        if (!DhtPrefix.IsPrivate(kwaaiPrefix))
        {
            var modelInfo = ModelInfoCodec.Encode(new ModelInfo(node.Repository ?? ModelInfo.HuggingFaceRepository(node.Model), node.TotalBlocks));
            records.Add(new AnnouncementRecord(DhtRecordKeys.PetalsModels, kwaaiPrefix, modelInfo, expiration));
            if (petalsPrefix is not null)
            {
                records.Add(new AnnouncementRecord(DhtRecordKeys.PetalsModels, petalsPrefix, modelInfo, expiration));
            }
        }

        var widest = node.Spans.OrderByDescending(s => s.Length).ThenBy(s => s.StartBlock).First();
        records.Add(new AnnouncementRecord(
            DhtRecordKeys.KwaaiInferenceNodes, peerId, ServerInfoCodec.Encode(Info(node, widest, peerId, offline: false)), expiration));
        return records;
    }

    /// <summary>
    /// The records that announce <paramref name="node"/> offline at shutdown: rows 1 and 2 of docs/records.md §2
    /// rewritten once with state 0, throughput 0.0 and no free cache tokens, expiring in the future
    /// (<paramref name="now"/> + <paramref name="ttl"/>), since hivemind replaces a value only with a strictly later
    /// expiration and rejects expired stores. Rows 3 and 4 are left to age out.
    /// </summary>
    /// <exception cref="ArgumentException">As for <see cref="Create"/>.</exception>
    public static IReadOnlyList<AnnouncementRecord> Offline(AnnouncedNode node, DateTimeOffset now, TimeSpan ttl)
    {
        var expiration = Validate(node, now, ttl);
        return BlockRecords(node, KwaaiNetPrefix(node), PetalsPrefix(node), node.PeerId.ToBase58(), expiration, offline: true);
    }

    /// <summary>The KwaaiNet prefix every block is announced under: the map's <c>dht_prefix</c>, else upstream's rule.</summary>
    public static string KwaaiNetPrefix(AnnouncedNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        return DhtPrefix.ForKwaaiNet(node.Model, node.MapDhtPrefix);
    }

    /// <summary>
    /// The Petals prefix the blocks are also announced under: the <c>-hf</c> variant of the KwaaiNet prefix (the one
    /// the map merges with it; for a model without a map prefix, Petals' rule applied to the model name). Null while
    /// Petals serving is off, or when it equals the KwaaiNet prefix.
    /// </summary>
    public static string? PetalsPrefix(AnnouncedNode node)
    {
        var kwaaiPrefix = KwaaiNetPrefix(node);
        if (!node.PetalsServing)
        {
            return null;
        }

        var petalsPrefix = DhtPrefix.ForPetals(kwaaiPrefix);
        return petalsPrefix == kwaaiPrefix ? null : petalsPrefix;
    }

    private static List<AnnouncementRecord> BlockRecords(
        AnnouncedNode node, string kwaaiPrefix, string? petalsPrefix, string peerId, double expiration, bool offline)
    {
        // For each block, the span that reaches furthest (ties: the lowest start, then the first listed).
        var byBlock = new ServedSpan?[node.TotalBlocks];
        foreach (var span in node.Spans)
        {
            for (var block = span.StartBlock; block < span.EndBlock; block++)
            {
                if (byBlock[block] is not { } held || span.EndBlock > held.EndBlock
                    || (span.EndBlock == held.EndBlock && span.StartBlock < held.StartBlock))
                {
                    byBlock[block] = span;
                }
            }
        }

        var values = new Dictionary<ServedSpan, byte[]>(ReferenceEqualityComparer.Instance);
        string[] prefixes = petalsPrefix is null ? [kwaaiPrefix] : [kwaaiPrefix, petalsPrefix];
        var records = new List<AnnouncementRecord>();
        foreach (var prefix in prefixes)
        {
            for (var block = 0; block < byBlock.Length; block++)
            {
                if (byBlock[block] is not { } span)
                {
                    continue;
                }

                if (!values.TryGetValue(span, out var value))
                {
                    value = ServerInfoCodec.Encode(Info(node, span, peerId, offline));
                    values.Add(span, value);
                }

                records.Add(new AnnouncementRecord(ModuleUid.Format(prefix, block), peerId, value, expiration));
            }
        }

        return records;
    }

    private static ServerInfo Info(AnnouncedNode node, ServedSpan span, string peerId, bool offline) => new()
    {
        State = offline ? ServerState.Offline : span.State,
        Throughput = offline ? 0.0 : span.Throughput,
        StartBlock = span.StartBlock,
        EndBlock = span.EndBlock,
        PublicName = ServerInfo.FormatPublicName(node.PublicName, node.ProductVersion),
        Version = ServerInfo.WireVersion,
        NetworkRps = span.NetworkRps,
        ForwardRps = span.ForwardRps,
        InferenceRps = span.InferenceRps,
        TorchDtype = span.TorchDtype,
        UsingRelay = node.UsingRelay,
        CacheTokensLeft = offline ? 0 : span.CacheTokensLeft,
        Adapters = [],
        NextPings = span.NextPings,
        PeerId = peerId,
        TrustAttestations = node.PledgeAttestation is { } pledge ? [pledge] : [],
        Carbon = node.Carbon,
    };

    private static double Validate(AnnouncedNode node, DateTimeOffset now, TimeSpan ttl)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(node.Spans);
        ArgumentNullException.ThrowIfNull(node.PeerId);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        if (node.TotalBlocks is < 1 or > ServerInfoLimits.MaxBlock)
        {
            throw new ArgumentException($"TotalBlocks {node.TotalBlocks} is outside 1..{ServerInfoLimits.MaxBlock}.", nameof(node));
        }

        if (node.Spans.Count == 0)
        {
            throw new ArgumentException("The node serves no span; there is nothing to announce.", nameof(node));
        }

        foreach (var span in node.Spans)
        {
            ArgumentNullException.ThrowIfNull(span, nameof(node));
            if (span.StartBlock < 0 || span.EndBlock <= span.StartBlock || span.EndBlock > node.TotalBlocks)
            {
                throw new ArgumentException(
                    $"Span [{span.StartBlock}, {span.EndBlock}) is empty or outside the model's {node.TotalBlocks} blocks.", nameof(node));
            }
        }

        return DhtTime.ToDhtTime(now + ttl);
    }
}
