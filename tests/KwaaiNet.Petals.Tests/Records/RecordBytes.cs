// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Tests.Records;

/// <summary>
/// Byte vectors of ServerInfo values, built by hand from the documented layout (docs/records.md §3; msgpack as
/// hivemind's <c>MSGPackSerializer</c> writes it), as the research notes carry no hex dumps of upstream records.
/// Each part is one msgpack object, written out with its header so that a reader can check it against the spec.
/// </summary>
internal static class RecordBytes
{
    /// <summary>The peer id upstream KwaaiNet's <c>announce.rs</c> tests use.</summary>
    public const string PeerId = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

    /// <summary>An RSA (bootstrap-style) peer id.</summary>
    public const string RsaPeerId = "QmXfANcrDYnt5LTXKwtBP5nsTMLQdgxJHbK3L1hZdFN8km";

    /// <summary><c>msgpack str</c> of <see cref="PeerId"/>: 52 bytes, so str8.</summary>
    public const string PeerIdStr = "d9 34 313244334b6f6f5744704a3741733742574177524d6675315655325743714e6a76713338374a45594b44426a346b78366e58544e";

    /// <summary>
    /// What upstream KwaaiNet 0.6.2 writes (<c>DHTServerInfo::to_msgpack</c>) for a node serving blocks 0..3 at 12.5
    /// requests/s: ext8 of 235 bytes, type 0x40, then the array <c>[2, 12.5, {10 fields}]</c> in upstream's order.
    /// </summary>
    public static readonly byte[] UpstreamKwaaiNet = Hex(
        "c7 eb 40", // ext8, 235 bytes, tuple
        "93", // array of 3
        "02", // state 2
        "cb 4029000000000000", // throughput 12.5 (float64)
        "8a", // map of 10
        "ab 73746172745f626c6f636b", "00", // "start_block": 0
        "a9 656e645f626c6f636b", "03", // "end_block": 3
        "ab 7075626c69635f6e616d65", "ba 616c6963652d6c696e75782d616172636836342f76302e362e32", // "public_name": "alice-linux-aarch64/v0.6.2"
        "a7 76657273696f6e", "ab 6b776161692d302e362e32", // "version": "kwaai-0.6.2"
        "ab 746f7263685f6474797065", "a7 666c6f61743136", // "torch_dtype": "float16"
        "ab 7573696e675f72656c6179", "c2", // "using_relay": false
        "b1 63616368655f746f6b656e735f6c656674", "ce 000186a0", // "cache_tokens_left": 100000 (uint32)
        "a8 6164617074657273", "90", // "adapters": []
        "aa 6e6578745f70696e6773", "80", // "next_pings": {}
        "a7 706565725f6964", PeerIdStr); // "peer_id": PeerId

    /// <summary>
    /// What a Petals server writes (<c>ServerInfo.to_tuple()</c>, every field of the dataclass in order, None as nil,
    /// the empty adapters tuple as <c>d4 40 90</c>): joining, 123.5 requests/s, blocks 16..32, two pings (one +inf).
    /// </summary>
    public static readonly byte[] PetalsServer = Hex(
        "c8 015d 40", // ext16, 349 bytes, tuple
        "93", "01", "cb 405ee00000000000", // [1, 123.5,
        "8d", // map of 13
        "ab 73746172745f626c6f636b", "10", // "start_block": 16
        "a9 656e645f626c6f636b", "20", // "end_block": 32
        "ab 7075626c69635f6e616d65", "c0", // "public_name": None
        "a7 76657273696f6e", "aa 322e332e302e64657632", // "version": "2.3.0.dev2"
        "ab 6e6574776f726b5f727073", "cb 4097700000000000", // "network_rps": 1500.0
        "ab 666f72776172645f727073", "cb 40af408000000000", // "forward_rps": 4000.25
        "ad 696e666572656e63655f727073", "cb 4072c00000000000", // "inference_rps": 300.0
        "a8 6164617074657273", "d4 40 90", // "adapters": ()
        "ab 746f7263685f6474797065", "a8 62666c6f61743136", // "torch_dtype": "bfloat16"
        "aa 7175616e745f74797065", "a3 6e6634", // "quant_type": "nf4"
        "ab 7573696e675f72656c6179", "c3", // "using_relay": true
        "b1 63616368655f746f6b656e735f6c656674", "ce 00080000", // "cache_tokens_left": 524288
        "aa 6e6578745f70696e6773", "82", // "next_pings": {
        PeerIdStr, "cb 3f8eb851eb851eb8", // PeerId: 0.015,
        "d9 2e 516d5866414e637244596e74354c54584b77744250356e73544d4c516467784a48624b334c31685a64464e386b6d", "cb 7ff0000000000000"); // RsaPeerId: inf}]

    /// <summary>The <c>vpk</c> map upstream KwaaiNet adds for a VPK node (<c>VpkInfo::to_msgpack_value</c>).</summary>
    public const string VpkMap =
        "85 a46d6f6465 a4626f7468 ab63617061636974795f6762 cb4045000000000000 ac74656e616e745f636f756e74 03"
        + " ab76706b5f76657273696f6e a5312e322e33 ab7075626c69635f6e616d65 a9746573742d6e6f6465";

    /// <summary>A future field: the tuple <c>(1, [2.5, None], {"x": "y"})</c>.</summary>
    public const string FutureTuple = "c7 12 40 93 01 92 cb4004000000000000 c0 81 a178 a179";

    /// <summary>A record with three fields this codec does not know: <c>lease_v1</c>, <c>vpk</c>, <c>future</c>.</summary>
    public static readonly byte[] WithUnknownFields = Hex(
        "c7 e2 40", "93", "02", "cb 4029000000000000", "86",
        "ab 73746172745f626c6f636b", "00",
        "a9 656e645f626c6f636b", "03",
        "a7 706565725f6964", PeerIdStr,
        "a8 6c656173655f7631", "c3", // "lease_v1": true
        "a3 76706b", VpkMap, // "vpk": {...}
        "a6 667574757265", FutureTuple); // "future": (...)

    /// <summary>Bytes from hex parts; spaces are ignored.</summary>
    public static byte[] Hex(params string[] parts) => Convert.FromHexString(string.Concat(parts).Replace(" ", string.Empty, StringComparison.Ordinal));

    /// <summary>A ServerInfo tuple around the given payload parts (an array and its elements), with an ext8 or ext16 header.</summary>
    public static byte[] Record(params string[] payloadParts)
    {
        var payload = Hex(payloadParts);
        byte[] header = payload.Length <= byte.MaxValue
            ? [0xc7, (byte)payload.Length, 0x40]
            : [0xc8, (byte)(payload.Length >> 8), (byte)payload.Length, 0x40];
        return [.. header, .. payload];
    }

    /// <summary>A ServerInfo <c>(2, 12.5, {one field})</c> with the field given as key and value hex.</summary>
    public static byte[] WithField(string keyHex, string valueHex) => Record("93 02 cb4029000000000000 81", keyHex, valueHex);

    /// <summary>The msgpack str of an ASCII text of at most 255 characters, as hex (fixstr or str8).</summary>
    public static string Str(string text) => text.Length < 32
        ? $"{0xa0 | text.Length:x2}{Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(text))}"
        : $"d9{text.Length:x2}{Convert.ToHexString(System.Text.Encoding.ASCII.GetBytes(text))}";
}
