// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// The <c>rpc_info</c> dict (<c>ExpertInfo.serialized_info</c>; research petals-protocol.md §9.1), in the key order of
/// Petals' <c>handler.py rpc_info</c> + <c>backend.py get_info</c>: <c>version, dht_client_mode,
/// cache_tokens_available</c>, and for a block uid <c>forward_schema, outputs_schema, keyword_names,
/// inference_schema</c>.
/// </summary>
public static class ExpertInfoCodec
{
    /// <summary>
    /// The placeholder instance size of Petals' hidden-states descriptor, <c>BatchTensorDescriptor(1, 2048, hidden)</c>
    /// (<c>petals/server/server.py</c>); clients read only its compression and the tuple lengths.
    /// </summary>
    public const int PlaceholderLength = 2048;

    /// <summary>Writes the dict.</summary>
    /// <param name="version">The server version string.</param>
    /// <param name="dhtClientMode">Whether the node's DHT runs in client mode.</param>
    /// <param name="cacheTokensAvailable">Free KV-cache tokens.</param>
    /// <param name="schemas">
    /// The span's hidden size and dtype when the request named a block (the schemas are then included), else null.
    /// </param>
    /// <returns>The msgpack bytes.</returns>
    public static byte[] Encode(string version, bool dhtClientMode, long cacheTokensAvailable, (int HiddenSize, string DType)? schemas)
    {
        ArgumentNullException.ThrowIfNull(version);
        return DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(schemas is null ? 3 : 7);
            w.Write("version");
            w.Write(version);
            w.Write("dht_client_mode");
            w.Write(dhtClientMode);
            w.Write("cache_tokens_available");
            w.Write(cacheTokensAvailable);
            if (schemas is not { } s)
            {
                return;
            }

            int[] hidden = [1, PlaceholderLength, s.HiddenSize];
            w.Write("forward_schema");
            w.WriteTuple(2, pair =>
            {
                pair.WriteTuple(1, args => BatchTensorDescriptorCodec.Write(args, hidden, s.DType));
                pair.WriteMapHeader(0);
            });
            w.Write("outputs_schema");
            w.WriteTuple(1, outputs => BatchTensorDescriptorCodec.Write(outputs, hidden, s.DType));
            w.Write("keyword_names");
            w.WriteTuple(0, static _ => { });
            w.Write("inference_schema");
            w.WriteTuple(2, pair =>
            {
                pair.WriteTuple(3, args =>
                {
                    BatchTensorDescriptorCodec.Write(args, hidden, s.DType);
                    BatchTensorDescriptorCodec.Write(args, [], s.DType);
                    BatchTensorDescriptorCodec.Write(args, [], TensorDTypes.Int64Name, CompressionType.None);
                });
                pair.WriteMapHeader(0);
            });
        });
    }
}
