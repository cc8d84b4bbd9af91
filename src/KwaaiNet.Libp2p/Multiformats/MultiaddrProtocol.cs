// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;

namespace KwaaiNet.Libp2p.Multiformats;

/// <summary>How a multiaddr protocol's value is encoded (multiformats/multiaddr protocols.csv, "size" column).</summary>
public enum MultiaddrValueKind
{
    /// <summary>No value (<c>/quic-v1</c>, <c>/p2p-circuit</c>, …).</summary>
    None,

    /// <summary>4-byte IPv4 address, dotted decimal in text.</summary>
    Ip4,

    /// <summary>16-byte IPv6 address, RFC 5952 text.</summary>
    Ip6,

    /// <summary>2-byte big-endian port, decimal in text.</summary>
    Port,

    /// <summary>Varint-length-prefixed UTF-8 text (DNS names, IPv6 zones).</summary>
    Text,

    /// <summary>Varint-length-prefixed peer id multihash; base58btc (or CIDv1) in text.</summary>
    PeerId,

    /// <summary>Varint-length-prefixed UTF-8 path; in text it takes the rest of the string.</summary>
    Path,
}

/// <summary>
/// One protocol of the multiaddr table (multiformats/multiaddr protocols.csv and multicodec table.csv):
/// its multicodec code, text name and value encoding. Instances are singletons, so they compare by reference.
/// Only the protocols listed as static fields are understood; any other code or name is rejected when parsing.
/// </summary>
public sealed class MultiaddrProtocol
{
    /// <summary><c>ip4</c> (code 4, 32 bits).</summary>
    public static readonly MultiaddrProtocol Ip4 = new(4, "ip4", MultiaddrValueKind.Ip4);

    /// <summary><c>tcp</c> (code 6, 16 bits).</summary>
    public static readonly MultiaddrProtocol Tcp = new(6, "tcp", MultiaddrValueKind.Port);

    /// <summary><c>ip6</c> (code 41, 128 bits).</summary>
    public static readonly MultiaddrProtocol Ip6 = new(41, "ip6", MultiaddrValueKind.Ip6);

    /// <summary><c>ip6zone</c> (code 42, variable): the zone of the link-local <c>ip6</c> component that follows it.</summary>
    public static readonly MultiaddrProtocol Ip6Zone = new(42, "ip6zone", MultiaddrValueKind.Text);

    /// <summary><c>dns</c> (code 53, variable).</summary>
    public static readonly MultiaddrProtocol Dns = new(53, "dns", MultiaddrValueKind.Text);

    /// <summary><c>dns4</c> (code 54, variable).</summary>
    public static readonly MultiaddrProtocol Dns4 = new(54, "dns4", MultiaddrValueKind.Text);

    /// <summary><c>dns6</c> (code 55, variable).</summary>
    public static readonly MultiaddrProtocol Dns6 = new(55, "dns6", MultiaddrValueKind.Text);

    /// <summary><c>dnsaddr</c> (code 56, variable): resolved through <c>_dnsaddr</c> TXT records, never dialed directly.</summary>
    public static readonly MultiaddrProtocol DnsAddr = new(56, "dnsaddr", MultiaddrValueKind.Text);

    /// <summary><c>udp</c> (code 273, 16 bits).</summary>
    public static readonly MultiaddrProtocol Udp = new(273, "udp", MultiaddrValueKind.Port);

    /// <summary><c>p2p-circuit</c> (code 290, no value).</summary>
    public static readonly MultiaddrProtocol P2PCircuit = new(290, "p2p-circuit", MultiaddrValueKind.None);

    /// <summary><c>unix</c> (code 400, variable path).</summary>
    public static readonly MultiaddrProtocol Unix = new(400, "unix", MultiaddrValueKind.Path);

    /// <summary><c>p2p</c> (code 421, variable; the legacy text name <c>ipfs</c> is accepted when parsing).</summary>
    public static readonly MultiaddrProtocol P2P = new(421, "p2p", MultiaddrValueKind.PeerId);

    /// <summary><c>tls</c> (code 448, no value).</summary>
    public static readonly MultiaddrProtocol Tls = new(448, "tls", MultiaddrValueKind.None);

    /// <summary><c>noise</c> (code 454, no value).</summary>
    public static readonly MultiaddrProtocol Noise = new(454, "noise", MultiaddrValueKind.None);

    /// <summary><c>quic</c> (code 460, no value; draft-29 QUIC, superseded by <c>quic-v1</c>).</summary>
    public static readonly MultiaddrProtocol Quic = new(460, "quic", MultiaddrValueKind.None);

    /// <summary><c>quic-v1</c> (code 461, no value; RFC 9000 QUIC).</summary>
    public static readonly MultiaddrProtocol QuicV1 = new(461, "quic-v1", MultiaddrValueKind.None);

    /// <summary><c>ws</c> (code 477, no value).</summary>
    public static readonly MultiaddrProtocol Ws = new(477, "ws", MultiaddrValueKind.None);

    /// <summary><c>wss</c> (code 478, no value).</summary>
    public static readonly MultiaddrProtocol Wss = new(478, "wss", MultiaddrValueKind.None);

    private static readonly MultiaddrProtocol[] All =
    [
        Ip4, Tcp, Ip6, Ip6Zone, Dns, Dns4, Dns6, DnsAddr, Udp, P2PCircuit, Unix, P2P, Tls, Noise, Quic, QuicV1, Ws, Wss,
    ];

    private static readonly Dictionary<int, MultiaddrProtocol> ByCode = All.ToDictionary(static p => p.Code);

    private static readonly Dictionary<string, MultiaddrProtocol> ByName = CreateNameLookup();

    private MultiaddrProtocol(int code, string name, MultiaddrValueKind kind)
    {
        Code = code;
        Name = name;
        ValueKind = kind;
    }

    /// <summary>The multicodec code, written as an unsigned varint in the binary form.</summary>
    public int Code { get; }

    /// <summary>The canonical text name.</summary>
    public string Name { get; }

    /// <summary>How the value is encoded.</summary>
    public MultiaddrValueKind ValueKind { get; }

    /// <summary>
    /// The fixed value length in bytes (0 for no value), or -1 when the value is length-prefixed with a varint.
    /// </summary>
    public int FixedLength => ValueKind switch
    {
        MultiaddrValueKind.None => 0,
        MultiaddrValueKind.Ip4 => 4,
        MultiaddrValueKind.Ip6 => 16,
        MultiaddrValueKind.Port => 2,
        _ => -1,
    };

    /// <summary>Every protocol this implementation understands.</summary>
    public static IReadOnlyList<MultiaddrProtocol> Known => All;

    /// <summary>Looks a protocol up by multicodec code.</summary>
    public static bool TryGetByCode(ulong code, [NotNullWhen(true)] out MultiaddrProtocol? protocol)
    {
        protocol = null;
        return code <= int.MaxValue && ByCode.TryGetValue((int)code, out protocol);
    }

    /// <summary>Looks a protocol up by text name (case-sensitive; <c>ipfs</c> is an alias of <c>p2p</c>).</summary>
    public static bool TryGetByName(ReadOnlySpan<char> name, [NotNullWhen(true)] out MultiaddrProtocol? protocol) =>
        ByName.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out protocol);

    /// <inheritdoc />
    public override string ToString() => Name;

    private static Dictionary<string, MultiaddrProtocol> CreateNameLookup()
    {
        var lookup = All.ToDictionary(static p => p.Name, StringComparer.Ordinal);

        // multiaddr README §Protocols: "ipfs" is the deprecated name of "p2p"; parse it, never print it.
        lookup.Add("ipfs", P2P);
        return lookup;
    }
}
