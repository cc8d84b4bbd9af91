// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Routing;
using KwaaiNet.Hivemind.Storage;
using KwaaiNet.Hivemind.Values;
using KwaaiNet.Hivemind.Wire;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// hivemind's <c>DHTProtocol</c> (<c>hivemind/dht/protocol.py</c>): the three unary handlers a node serves
/// (<c>rpc_ping</c>, <c>rpc_store</c>, <c>rpc_find</c>) and the calls it makes to others, both keeping the routing
/// table up to date: every peer that answers us or calls us with its node id is added (a full bucket pings its
/// least-recently-seen node and drops it if silent), every peer that fails a call is removed, and a newly met node is
/// handed the records it should hold. Remote node ids come only from the messages, never from peer ids.
/// </summary>
public sealed class DhtProtocol : IAsyncDisposable
{
    /// <summary>The servicer name in hivemind's handler ids (<c>{cls.__name__}.{method}</c>).</summary>
    public const string ServicerName = "DHTProtocol";

    private const string PingMethod = "rpc_ping";
    private const string StoreMethod = "rpc_store";
    private const string FindMethod = "rpc_find";

    /// <summary>A find reply stays under this many bytes of values; later keys are answered with neighbors only.</summary>
    private const int FindReplyValueBudget = 3 * 1024 * 1024;

    private readonly IDhtLocalStore _store;
    private readonly IDhtTransport _transport;
    private readonly DhtOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BackgroundWork _background;
    private readonly SemaphoreSlim _rpcSlots;
    private readonly DhtValueLimits _limits;
    private readonly NodeInfo _nodeInfo;
    private long _requestsSent;

    /// <summary>Creates the protocol of node <paramref name="nodeId"/>.</summary>
    public DhtProtocol(DhtId nodeId, IDhtLocalStore store, IDhtTransport transport, DhtOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        NodeId = nodeId;
        _store = store;
        _transport = transport;
        _options = options;
        _time = time;
        _logger = logger;
        _background = new BackgroundWork(logger);
        _rpcSlots = new SemaphoreSlim(options.MaxConcurrentCalls);
        _limits = new DhtValueLimits(options.MaxSubkeysPerKey, options.MaxSubkeyBytes, options.MaxValueBytes);
        _nodeInfo = new NodeInfo { NodeId = ByteString.CopyFrom(nodeId.ToBytes()) };
        RoutingTable = new RoutingTable(nodeId, options.BucketSize, options.DepthModulo, time);
        PingProtocol = HandlerName(options.Namespace, PingMethod);
        StoreProtocol = HandlerName(options.Namespace, StoreMethod);
        FindProtocol = HandlerName(options.Namespace, FindMethod);
    }

    /// <summary>This node's id.</summary>
    public DhtId NodeId { get; }

    /// <summary>The k-bucket routing table.</summary>
    public RoutingTable RoutingTable { get; }

    /// <summary>The local records.</summary>
    public IDhtLocalStore Store => _store;

    /// <summary>The protocol id of <c>rpc_ping</c> (with the namespace, if any).</summary>
    public string PingProtocol { get; }

    /// <summary>The protocol id of <c>rpc_store</c>.</summary>
    public string StoreProtocol { get; }

    /// <summary>The protocol id of <c>rpc_find</c>.</summary>
    public string FindProtocol { get; }

    /// <summary>The three protocol ids this node serves.</summary>
    public IReadOnlyList<string> Protocols => [PingProtocol, StoreProtocol, FindProtocol];

    /// <summary>Calls sent to other nodes so far.</summary>
    public long RequestsSent => Interlocked.Read(ref _requestsSent);

    /// <summary>
    /// hivemind's handler id: <c>DHTProtocol.{method}</c>, prefixed with <c>{namespace}::</c> when a namespace is set
    /// (<c>hivemind/p2p/servicer.py::_get_handle_name</c>).
    /// </summary>
    public static string HandlerName(string? @namespace, string method) =>
        string.IsNullOrEmpty(@namespace) ? $"{ServicerName}.{method}" : $"{@namespace}::{ServicerName}.{method}";

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _background.DisposeAsync().ConfigureAwait(false);
        _rpcSlots.Dispose();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Serving

    /// <summary>
    /// Serves one inbound unary call from the authenticated <paramref name="caller"/>. Returns the reply bytes; throws
    /// <see cref="DhtRequestException"/> for a request that breaks the rules (its message goes back in the unary error
    /// arm, as hivemind sends an exception's repr), having stored nothing.
    /// </summary>
    public async Task<byte[]> HandleAsync(PeerId caller, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (protocol == PingProtocol)
        {
            var ping = Parse(PingRequest.Parser, request, "PingRequest");
            return (await HandlePingAsync(caller, ping, cancellationToken).ConfigureAwait(false)).ToByteArray();
        }

        if (protocol == StoreProtocol)
        {
            var store = Parse(StoreRequest.Parser, request, "StoreRequest");
            return (await HandleStoreAsync(caller, store, cancellationToken).ConfigureAwait(false)).ToByteArray();
        }

        if (protocol == FindProtocol)
        {
            var find = Parse(FindRequest.Parser, request, "FindRequest");
            return (await HandleFindAsync(caller, find, cancellationToken).ConfigureAwait(false)).ToByteArray();
        }

        throw new DhtRequestException($"this node does not serve '{protocol}'");
    }

    /// <summary>
    /// Serves one unary call and maps failures to the unary error arm: a bad request's reason, or that this node's
    /// storage is unavailable. Never throws for the caller's input.
    /// </summary>
    public async Task<UnaryResult> ServeAsync(UnaryRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            return UnaryResult.Ok(await HandleAsync(request.Caller, request.Protocol, request.Data, cancellationToken).ConfigureAwait(false));
        }
        catch (DhtRequestException ex)
        {
            _logger.RequestRejected(request.Caller, request.Protocol, ex.Message);
            return UnaryResult.Fail(ex.Message);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _logger.RequestFailed(request.Caller, request.Protocol, ex);
            return UnaryResult.Fail($"{request.Protocol} failed on this node: {ex.Message}");
        }
    }

    /// <summary>Registers the three handlers on a libp2p host's unary calls (the embedded node, in-process swarms).</summary>
    public void RegisterHandlers(UnaryCalls unary)
    {
        ArgumentNullException.ThrowIfNull(unary);
        foreach (var protocol in Protocols)
        {
            unary.AddHandler(protocol, ServeAsync);
        }
    }

    private async Task<PingResponse> HandlePingAsync(PeerId caller, PingRequest request, CancellationToken cancellationToken)
    {
        var response = new PingResponse { Peer = _nodeInfo, DhtTime = DhtTime.Now(_time), Available = false };
        if (request.Peer is { NodeId.IsEmpty: false } sender)
        {
            var senderId = ParseNodeId(sender.NodeId, "peer.node_id");
            if (request.Validate)
            {
                // hivemind answers available only when it can reach the caller back and it claims the same id.
                response.Available = await CallPingAsync(caller, validate: false, cancellationToken).ConfigureAwait(false) == senderId;
            }

            var responded = response.Available || !request.Validate;
            UpdateRoutingTable(senderId, caller, responded);
        }

        return response;
    }

    private async Task<StoreResponse> HandleStoreAsync(PeerId caller, StoreRequest request, CancellationToken cancellationToken)
    {
        PingBack(caller, request.Peer);
        var count = request.Keys.Count;
        if (request.Values.Count != count || request.ExpirationTime.Count != count || request.InCache.Count != count || request.Subkeys.Count != count)
        {
            // hivemind asserts keys, values, expiration_time and in_cache align and zips subkeys (a short list would
            // silently drop items): a misaligned request is refused whole.
            throw new DhtRequestException(
                $"store lists are misaligned: {count} keys, {request.Subkeys.Count} subkeys, {request.Values.Count} values, " +
                $"{request.ExpirationTime.Count} expirations, {request.InCache.Count} in_cache flags");
        }

        CheckCount(count, "keys");
        var now = DhtTime.Now(_time);
        var items = new List<(DhtId Key, DhtStoreItem Item, DecodedDictionary? Dictionary)>(count);
        for (var i = 0; i < count; i++)
        {
            var key = ParseKey(request.Keys[i], i);
            var item = new DhtStoreItem(key, request.Subkeys[i].Memory, request.Values[i].Memory, request.ExpirationTime[i], request.InCache[i]);
            items.Add((key, item, Validate(item, i, caller, now)));
        }

        var response = new StoreResponse { Peer = _nodeInfo };
        foreach (var (key, item, dictionary) in items)
        {
            response.StoreOk.Add(await StoreLocallyAsync(item, dictionary, cancellationToken).ConfigureAwait(false));
        }

        return response;
    }

    private async Task<FindResponse> HandleFindAsync(PeerId caller, FindRequest request, CancellationToken cancellationToken)
    {
        PingBack(caller, request.Peer);
        CheckCount(request.Keys.Count, "keys");
        var keys = request.Keys.Select(ParseKey).ToList();
        DhtId? requester = request.Peer is { NodeId.IsEmpty: false } peer ? ParseNodeId(peer.NodeId, "peer.node_id") : null;
        var response = new FindResponse { Peer = _nodeInfo };
        var budget = FindReplyValueBudget;
        foreach (var key in keys)
        {
            var item = await GetLocalAsync(key, includeCache: true, cancellationToken).ConfigureAwait(false);
            var result = new FindResult { Type = ResultType.NotFound };
            if (item is not null)
            {
                var value = item.IsDictionary ? DhtDictionaryCodec.Encode(item.Entries!, item.ExpirationTime) : item.Value.ToArray();
                if (value.Length <= budget)
                {
                    budget -= value.Length;
                    result.Type = item.IsDictionary ? ResultType.FoundDictionary : ResultType.FoundRegular;
                    result.Value = ByteString.CopyFrom(value);
                    result.ExpirationTime = item.ExpirationTime;
                }
            }

            foreach (var (nodeId, peerId) in RoutingTable.GetNearestNeighbors(key, _options.BucketSize, requester))
            {
                result.NearestNodeIds.Add(ByteString.CopyFrom(nodeId.ToBytes()));
                result.NearestPeerIds.Add(ByteString.CopyFrom(peerId.Multihash.Span));
            }

            response.Results.Add(result);
        }

        return response;
    }

    /// <summary>The newer of the storage and cache tiers' values (hivemind's <c>rpc_find</c>).</summary>
    internal async Task<DhtItem?> GetLocalAsync(DhtId key, bool includeCache, CancellationToken cancellationToken)
    {
        var stored = await _store.GetAsync(DhtTier.Storage, key, cancellationToken).ConfigureAwait(false);
        if (!includeCache)
        {
            return stored;
        }

        var cached = await _store.GetAsync(DhtTier.Cache, key, cancellationToken).ConfigureAwait(false);
        return cached is not null && (stored is null || cached.ExpirationTime > stored.ExpirationTime) ? cached : stored;
    }

    /// <summary>Stores one validated item in its tier; a whole dictionary stores entry by entry (ok when all are).</summary>
    internal async Task<bool> StoreLocallyAsync(DhtStoreItem item, DecodedDictionary? dictionary, CancellationToken cancellationToken)
    {
        var tier = item.InCache ? DhtTier.Cache : DhtTier.Storage;
        if (item.IsRegular)
        {
            return await _store.StoreAsync(tier, item.Key, item.Value, item.ExpirationTime, cancellationToken).ConfigureAwait(false);
        }

        if (dictionary is null)
        {
            return await _store.StoreSubkeyAsync(tier, item.Key, item.Subkey, item.Value, item.ExpirationTime, cancellationToken).ConfigureAwait(false);
        }

        var all = true;
        foreach (var entry in dictionary.Entries)
        {
            all &= await _store.StoreSubkeyAsync(tier, item.Key, entry.Subkey, entry.Value, entry.ExpirationTime, cancellationToken).ConfigureAwait(false);
        }

        return all;
    }

    /// <summary>Checks one store item against the limits and rules; returns the decoded dictionary of a whole-dictionary item.</summary>
    internal DecodedDictionary? Validate(DhtStoreItem item, int index, PeerId? caller, double now)
    {
        if (!double.IsFinite(item.ExpirationTime))
        {
            throw new DhtRequestException($"item {index}: expiration_time {item.ExpirationTime} is not a finite number");
        }

        if (item.ExpirationTime > now + _options.MaxExpirationAhead.TotalSeconds)
        {
            throw new DhtRequestException($"item {index}: expiration_time is more than {_options.MaxExpirationAhead} ahead of this node's clock");
        }

        if (item.Value.Length > _options.MaxValueBytes)
        {
            throw new DhtRequestException($"item {index}: value is {item.Value.Length} bytes; at most {_options.MaxValueBytes} are accepted");
        }

        if (item.IsWholeDictionary)
        {
            DecodedDictionary dictionary;
            try
            {
                dictionary = DhtDictionaryCodec.Decode(item.Value.Span, _limits);
            }
            catch (DhtValueFormatException ex)
            {
                throw new DhtRequestException($"item {index}: the dictionary value is malformed: {ex.Message}", ex);
            }

            foreach (var entry in dictionary.Entries)
            {
                CheckSubkeyOwner(entry.Subkey, index, caller);
            }

            return dictionary;
        }

        if (!item.IsRegular)
        {
            if (item.Subkey.Length > _options.MaxSubkeyBytes)
            {
                throw new DhtRequestException($"item {index}: subkey is {item.Subkey.Length} bytes; at most {_options.MaxSubkeyBytes} are accepted");
            }

            // One hashable msgpack object: hivemind loads it as a dictionary key, so a list or map would break
            // every Python reader of the key.
            if (!DhtMsgPack.IsValidSubkey(item.Subkey.Span, _limits, out var error))
            {
                throw new DhtRequestException($"item {index}: subkey is not a valid msgpack subkey: {error}");
            }

            CheckSubkeyOwner(item.Subkey, index, caller);
        }

        return null;
    }

    /// <summary>
    /// Strict mode: a subkey that is a peer id (Petals and KwaaiNet records are keyed so) is accepted only from that
    /// peer, as the libp2p connection authenticated it. Off by default: hivemind has no such rule without validators.
    /// </summary>
    private void CheckSubkeyOwner(ReadOnlyMemory<byte> subkey, int index, PeerId? caller)
    {
        if (!_options.StrictSubkeys || caller is null)
        {
            return;
        }

        if (DhtMsgPack.TryReadStr(subkey.Span) is { } text && PeerId.TryParse(text, out var owner) && owner != caller)
        {
            throw new DhtRequestException($"item {index}: subkey {text} is another peer's id; in strict mode only that peer may store it");
        }
    }

    private void PingBack(PeerId caller, NodeInfo? sender)
    {
        // hivemind's rpc_store and rpc_find ping the caller into the routing table when it sent its node id.
        if (sender is { NodeId.IsEmpty: false } && DhtId.TryFromBytes(sender.NodeId.Span, out var senderId))
        {
            UpdateRoutingTable(senderId, caller, responded: true);
        }
    }

    private void CheckCount(int count, string what)
    {
        if (count > _options.MaxKeysPerRequest)
        {
            throw new DhtRequestException($"{count} {what} in one request; at most {_options.MaxKeysPerRequest} are accepted");
        }
    }

    private static DhtId ParseKey(ByteString key, int index) =>
        DhtId.TryFromBytes(key.Span, out var id) ? id : throw new DhtRequestException($"key {index} is {key.Length} bytes; a DHT key is a {DhtId.Length}-byte id");

    private static DhtId ParseNodeId(ByteString nodeId, string field) =>
        DhtId.TryFromBytes(nodeId.Span, out var id) ? id : throw new DhtRequestException($"{field} is {nodeId.Length} bytes; a node id is {DhtId.Length} bytes");

    private static T Parse<T>(MessageParser<T> parser, ReadOnlyMemory<byte> data, string name)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(data.Span);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new DhtRequestException($"malformed {name}: {ex.Message}", ex);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Calling

    /// <summary>
    /// Pings <paramref name="peer"/> for its node id (hivemind's <c>call_ping</c>). With <paramref name="validate"/>,
    /// asks it to dial us back, and checks its clock is within <see cref="DhtTime.MaxDiscrepancySeconds"/> of ours;
    /// a failed validation is logged and the node id still returned. Null when it did not answer.
    /// </summary>
    public async Task<DhtId?> CallPingAsync(PeerId peer, bool validate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var request = new PingRequest { Peer = _nodeInfo, Validate = validate };
        var requested = DhtTime.Now(_time);
        var reply = await CallAsync(peer, PingProtocol, request, PingResponse.Parser, cancellationToken).ConfigureAwait(false);
        var responded = DhtTime.Now(_time);
        DhtId? nodeId = reply?.Peer is { NodeId.IsEmpty: false } info && DhtId.TryFromBytes(info.NodeId.Span, out var id) ? id : null;
        if (nodeId is not null && validate)
        {
            if (!reply!.Available)
            {
                _logger.PingValidationFailed(peer, "it could not reach this node back; libp2p may have failed to traverse a firewall");
            }

            if (reply.DhtTime != 0
                && (reply.DhtTime < requested - DhtTime.MaxDiscrepancySeconds || reply.DhtTime > responded + DhtTime.MaxDiscrepancySeconds))
            {
                _logger.PingValidationFailed(peer, $"its clock differs from ours by more than {DhtTime.MaxDiscrepancySeconds} s");
            }
        }

        UpdateRoutingTable(nodeId, peer, nodeId is not null);
        return nodeId;
    }

    /// <summary>
    /// Asks <paramref name="peer"/> to store <paramref name="items"/> (hivemind's <c>call_store</c>). Returns its
    /// per-item answers, or null when it did not answer.
    /// </summary>
    public async Task<IReadOnlyList<bool>?> CallStoreAsync(PeerId peer, IReadOnlyList<DhtStoreItem> items, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(items);
        var request = new StoreRequest { Peer = _nodeInfo, Auth = new RequestAuthInfo { Time = DhtTime.Now(_time) } };
        foreach (var item in items)
        {
            request.Keys.Add(ByteString.CopyFrom(item.Key.ToBytes()));
            request.Subkeys.Add(ByteString.CopyFrom(item.Subkey.Span));
            request.Values.Add(ByteString.CopyFrom(item.Value.Span));
            request.ExpirationTime.Add(item.ExpirationTime);
            request.InCache.Add(item.InCache);
        }

        var reply = await CallAsync(peer, StoreProtocol, request, StoreResponse.Parser, cancellationToken).ConfigureAwait(false);
        if (reply is null || reply.StoreOk.Count != items.Count)
        {
            Forget(peer);
            return null;
        }

        if (reply.Peer is { NodeId.IsEmpty: false } info && DhtId.TryFromBytes(info.NodeId.Span, out var nodeId))
        {
            UpdateRoutingTable(nodeId, peer, responded: true);
        }

        return [.. reply.StoreOk];
    }

    /// <summary>
    /// Asks <paramref name="peer"/> for <paramref name="keys"/> (hivemind's <c>call_find</c>): per key, the value it
    /// holds and the nearest nodes it knows. Null when it did not answer or answered out of shape.
    /// </summary>
    public async Task<IReadOnlyDictionary<DhtId, DhtFindAnswer>?> CallFindAsync(PeerId peer, IReadOnlyList<DhtId> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(keys);
        var request = new FindRequest { Peer = _nodeInfo, Auth = new RequestAuthInfo { Time = DhtTime.Now(_time) } };
        foreach (var key in keys)
        {
            request.Keys.Add(ByteString.CopyFrom(key.ToBytes()));
        }

        var reply = await CallAsync(peer, FindProtocol, request, FindResponse.Parser, cancellationToken).ConfigureAwait(false);
        if (reply is null || reply.Results.Count != keys.Count)
        {
            if (reply is not null && _logger.IsEnabled(LogLevel.Debug))
            {
                _logger.MalformedReply(peer, FindProtocol, $"{reply.Results.Count} results for {keys.Count} keys");
            }

            Forget(peer);
            return null;
        }

        if (reply.Peer is { NodeId.IsEmpty: false } info && DhtId.TryFromBytes(info.NodeId.Span, out var nodeId))
        {
            UpdateRoutingTable(nodeId, peer, responded: true);
        }

        var answers = new Dictionary<DhtId, DhtFindAnswer>(keys.Count);
        for (var i = 0; i < keys.Count; i++)
        {
            var result = reply.Results[i];
            answers[keys[i]] = new DhtFindAnswer(ReadItem(peer, result), ReadNearest(result));
        }

        return answers;
    }

    private DhtItem? ReadItem(PeerId peer, FindResult result)
    {
        switch (result.Type)
        {
            case ResultType.FoundRegular:
                return DhtItem.Regular(result.Value.Memory, result.ExpirationTime);
            case ResultType.FoundDictionary:
                try
                {
                    var dictionary = DhtDictionaryCodec.Decode(result.Value.Span, _limits);
                    var now = DhtTime.Now(_time);
                    return DhtItem.Dictionary([.. dictionary.Entries.Where(e => e.ExpirationTime >= now)]) is { Entries.Count: > 0 } live
                        ? live with { ExpirationTime = result.ExpirationTime }
                        : null;
                }
                catch (DhtValueFormatException ex)
                {
                    _logger.MalformedReply(peer, FindProtocol, ex.Message);
                    return null;
                }

            default:
                return null;
        }
    }

    private static List<DhtPeer> ReadNearest(FindResult result)
    {
        // hivemind zips the two lists, so the shorter one wins; ids that do not parse are skipped.
        var count = Math.Min(result.NearestNodeIds.Count, result.NearestPeerIds.Count);
        var nearest = new List<DhtPeer>(count);
        for (var i = 0; i < count; i++)
        {
            if (DhtId.TryFromBytes(result.NearestNodeIds[i].Span, out var nodeId) && PeerId.TryFromMultihash(result.NearestPeerIds[i].Span, out var peerId))
            {
                nearest.Add(new DhtPeer(nodeId, peerId));
            }
        }

        return nearest;
    }

    private async Task<TReply?> CallAsync<TReply>(PeerId peer, string protocol, IMessage request, MessageParser<TReply> parser, CancellationToken cancellationToken)
        where TReply : class, IMessage<TReply>
    {
        await _rpcSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Interlocked.Increment(ref _requestsSent);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RpcTimeout);
            var bytes = await _transport.CallAsync(peer, protocol, request.ToByteArray(), timeout.Token).ConfigureAwait(false);
            return parser.ParseFrom(bytes.Span);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (_logger.IsEnabled(LogLevel.Debug))
            {
                _logger.CallFailed(peer, protocol, $"no answer within {_options.RpcTimeout}");
            }

            return null;
        }
        catch (DhtCallException ex)
        {
            _logger.CallFailed(peer, protocol, ex.Message);
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            _logger.MalformedReply(peer, protocol, ex.Message);
            return null;
        }
        finally
        {
            _rpcSlots.Release();
        }
    }

    private void Forget(PeerId peer)
    {
        if (RoutingTable.TryGetNode(peer, out var nodeId))
        {
            UpdateRoutingTable(nodeId, peer, responded: false);
        }
    }

    /// <summary>
    /// hivemind's <c>update_routing_table</c> (run inline here, where hivemind schedules it as a task, so that a lookup
    /// right after a ping already sees the node): called for every inbound request and every outbound answer (or silence).
    /// A node that answered is added or refreshed; when its bucket is full the least-recently-seen node is pinged and
    /// dropped if silent. A node met for the first time is handed the records it should hold (it is nearer to them than
    /// our current farthest replica, and we are the nearest). A node that did not answer leaves the table.
    /// </summary>
    private void UpdateRoutingTable(DhtId? nodeId, PeerId peer, bool responded)
    {
        if (nodeId is null && RoutingTable.TryGetNode(peer, out var known))
        {
            nodeId = known;
        }

        if (nodeId is not { } id || id == NodeId)
        {
            return;
        }

        if (!responded)
        {
            RoutingTable.Remove(id);
            return;
        }

        if (!RoutingTable.Contains(id) && _options.HandOffRecords)
        {
            _background.Run("record hand-off", ct => HandOffAsync(id, peer, ct));
        }

        if (RoutingTable.AddOrUpdateNode(id, peer) is { } stale)
        {
            _background.Run("liveness ping", ct => CallPingAsync(stale.PeerId, validate: false, ct));
        }
    }

    private async Task HandOffAsync(DhtId newcomer, PeerId peer, CancellationToken cancellationToken)
    {
        List<DhtStoreItem> toSend = [];
        await foreach (var (key, item) in _store.ItemsAsync(DhtTier.Storage, cancellationToken).ConfigureAwait(false))
        {
            var neighbors = RoutingTable.GetNearestNeighbors(key, _options.NumReplicas, NodeId);
            var send = neighbors.Count == 0
                || (newcomer.DistanceTo(key) < neighbors[^1].NodeId.DistanceTo(key) && NodeId.DistanceTo(key) < neighbors[0].NodeId.DistanceTo(key));
            if (send)
            {
                toSend.Add(item.IsDictionary
                    ? new DhtStoreItem(key, DhtMsgPack.DictionaryTag, DhtDictionaryCodec.Encode(item.Entries!, item.ExpirationTime), item.ExpirationTime)
                    : new DhtStoreItem(key, DhtMsgPack.RegularValueTag, item.Value, item.ExpirationTime));
                if (toSend.Count == _options.MaxKeysPerRequest)
                {
                    await CallStoreAsync(peer, toSend, cancellationToken).ConfigureAwait(false);
                    toSend = [];
                }
            }
        }

        if (toSend.Count > 0)
        {
            await CallStoreAsync(peer, toSend, cancellationToken).ConfigureAwait(false);
        }
    }
}
