// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Text;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;

namespace KwaaiNet.Libp2p.Tests.Multiformats;

public sealed class MultiaddrTests
{
    private const string PeerIdText = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
    private const string PeerIdCid = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
    private const string PeerIdMultihashHex = "0024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

    // multiformats/multiaddr test/multiaddr.feature, and the table computed with js @multiformats/multiaddr 13.0.3.
    [Theory]
    [InlineData("/ip4/192.0.2.42/tcp/443", "04c000022a0601bb")]
    [InlineData("/ip4/127.0.0.1/tcp/4001", "047f000001060fa1")]
    [InlineData("/ip6/::1/tcp/4001", "2900000000000000000000000000000001060fa1")]
    [InlineData("/dns4/localhost/tcp/4001", "36096c6f63616c686f7374060fa1")]
    [InlineData("/ip4/127.0.0.1/udp/4001/quic-v1", "047f00000191020fa1cd03")]
    [InlineData("/ip4/127.0.0.1/tcp/4001/p2p/" + PeerIdText, "047f000001060fa1a50326" + PeerIdMultihashHex)]
    public void ParseAndFromBytes_SpecVectors_RoundTrip(string text, string hex)
    {
        var parsed = Multiaddr.Parse(text);
        var decoded = Multiaddr.FromBytes(Convert.FromHexString(hex));

        Assert.Equal(hex, Convert.ToHexStringLower(parsed.ToBytes()));
        Assert.Equal(hex, Convert.ToHexStringLower(parsed.Bytes.Span));
        Assert.Equal(text, decoded.ToString());
        Assert.Equal(parsed, decoded);
        Assert.Equal(parsed.GetHashCode(), decoded.GetHashCode());
    }

    [Theory]
    [InlineData("/ip6/2001:db8::1/udp/53")]
    [InlineData("/ip6/::ffff:1.2.3.4/tcp/1")]
    [InlineData("/ip6zone/eth0/ip6/fe80::1/tcp/4001")]
    [InlineData("/dns/example.com/tcp/443/wss")]
    [InlineData("/dns6/example.com/tcp/443/tls/ws")]
    [InlineData("/dnsaddr/bootstrap.libp2p.io/p2p/" + PeerIdText)]
    [InlineData("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText + "/p2p-circuit/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN")]
    [InlineData("/ip4/1.2.3.4/udp/1/quic/noise")]
    [InlineData("/unix/tmp/p2p.sock")]
    [InlineData("/p2p-circuit")]
    [InlineData("/ip4/0.0.0.0/tcp/0")]
    [InlineData("/ip4/255.255.255.255/tcp/65535")]
    public void Parse_CanonicalText_RoundTripsThroughBytes(string text)
    {
        var parsed = Multiaddr.Parse(text);

        Assert.Equal(text, parsed.ToString());
        Assert.Equal(parsed, Multiaddr.FromBytes(parsed.ToBytes()));
    }

    [Theory]
    [InlineData("/ipfs/" + PeerIdText, "/p2p/" + PeerIdText)]
    [InlineData("/p2p/" + PeerIdCid, "/p2p/" + PeerIdText)]
    [InlineData("/ip4/1.2.3.4/tcp/80/", "/ip4/1.2.3.4/tcp/80")]
    [InlineData("/ip6/0:0:0:0:0:0:0:1/tcp/1", "/ip6/::1/tcp/1")]
    [InlineData("/ip6/2001:DB8::1/tcp/1", "/ip6/2001:db8::1/tcp/1")]
    [InlineData("/ip4/1.2.3.4/tcp/0080", "/ip4/1.2.3.4/tcp/80")]
    public void Parse_AlternativeText_PrintsCanonicalForm(string text, string canonical)
    {
        Assert.Equal(canonical, Multiaddr.Parse(text).ToString());
    }

    [Fact]
    public void Components_TcpWithPeerId_ExposeCodesNamesAndValues()
    {
        var address = Multiaddr.Parse("/ip4/127.0.0.1/tcp/4001/p2p/" + PeerIdText);

        Assert.Collection(
            address.Components,
            c =>
            {
                Assert.Same(MultiaddrProtocol.Ip4, c.Protocol);
                Assert.Equal(4, c.Code);
                Assert.Equal("127.0.0.1", c.TextValue);
                Assert.Equal([127, 0, 0, 1], c.Value.ToArray());
            },
            c =>
            {
                Assert.Equal("tcp", c.Name);
                Assert.Equal("4001", c.TextValue);
                Assert.Equal([0x0f, 0xa1], c.Value.ToArray());
            },
            c =>
            {
                Assert.Equal(421, c.Code);
                Assert.Equal(PeerIdText, c.TextValue);
                Assert.Equal(PeerIdMultihashHex, Convert.ToHexStringLower(c.Value.Span));
                Assert.Equal("/p2p/" + PeerIdText, c.ToString());
            });
    }

    [Fact]
    public void Components_NoValueProtocol_HasNullTextAndEmptyValue()
    {
        var quic = Multiaddr.Parse("/ip4/1.2.3.4/udp/1/quic-v1").Components[^1];

        Assert.Same(MultiaddrProtocol.QuicV1, quic.Protocol);
        Assert.Null(quic.TextValue);
        Assert.True(quic.Value.IsEmpty);
        Assert.Equal("/quic-v1", quic.ToString());
    }

    [Fact]
    public void Unix_PathTakesTheRestOfTheText_AndKeepsItsLeadingSlash()
    {
        var address = Multiaddr.Parse("/unix/var/run/a/tcp/1");

        var unix = Assert.Single(address.Components);
        Assert.Equal("/var/run/a/tcp/1", unix.TextValue);
        Assert.Equal("/var/run/a/tcp/1", Encoding.UTF8.GetString(unix.Value.Span));
        Assert.Equal("/unix/var/run/a/tcp/1", address.ToString());
        Assert.Equal("9003102f7661722f72756e2f612f7463702f31", Convert.ToHexStringLower(address.ToBytes()));
    }

    [Fact]
    public void PeerId_EndsWithP2P_ReturnsIt()
    {
        var address = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText);

        Assert.Equal(PeerId.Parse(PeerIdText), address.PeerId);
    }

    [Theory]
    [InlineData("/ip4/1.2.3.4/tcp/1")]
    [InlineData("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText + "/p2p-circuit")]
    public void PeerId_NotEndingWithP2P_IsNull(string text)
    {
        Assert.Null(Multiaddr.Parse(text).PeerId);
    }

    [Fact]
    public void WithoutPeerId_RemovesOnlyTheFinalP2PComponent()
    {
        var relayed = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText + "/p2p-circuit/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN");
        var plain = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1");

        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText + "/p2p-circuit", relayed.WithoutPeerId().ToString());
        Assert.Same(plain, plain.WithoutPeerId());
        Assert.Throws<InvalidOperationException>(() => Multiaddr.Parse("/p2p/" + PeerIdText).WithoutPeerId());
    }

    [Fact]
    public void WithPeerId_AppendsOrReplaces()
    {
        var id = PeerId.Parse(PeerIdText);
        var other = PeerId.Parse("QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN");
        var plain = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1");

        var withId = plain.WithPeerId(id);
        var replaced = withId.WithPeerId(other);

        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText, withId.ToString());
        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/QmNnooDu7bfjPFoTZYxMNLWUQJyrVwtbZg5gBMjTezGAJN", replaced.ToString());
        Assert.Equal(other, replaced.PeerId);
        Assert.Throws<ArgumentException>(() => Multiaddr.Parse("/unix/tmp/a").WithPeerId(id));
    }

    [Fact]
    public void Encapsulate_AppendsComponents()
    {
        var outer = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1");
        var inner = Multiaddr.Parse("/p2p/" + PeerIdText);

        var combined = outer.Encapsulate(inner);

        Assert.Equal("/ip4/1.2.3.4/tcp/1/p2p/" + PeerIdText, combined.ToString());
        Assert.Equal(3, combined.Components.Count);
        Assert.Equal(inner.PeerId, combined.PeerId);
    }

    [Fact]
    public void Encapsulate_AfterUnixOrOverLimit_Throws()
    {
        var tcp = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1");
        var big = Multiaddr.Parse("/dns/" + new string('a', 255) + "/dns/" + new string('b', 255) + "/dns/" + new string('c', 255));

        Assert.Throws<ArgumentException>(() => Multiaddr.Parse("/unix/a").Encapsulate(tcp));
        Assert.Throws<ArgumentException>(() => big.Encapsulate(big));
    }

    [Fact]
    public void FromEndPoint_Ipv4_Ipv6_MappedAndScoped()
    {
        Assert.Equal("/ip4/127.0.0.1/tcp/4001", Multiaddr.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 4001)).ToString());
        Assert.Equal("/ip6/::1/tcp/80", Multiaddr.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 80)).ToString());
        Assert.Equal(
            "/ip4/10.1.2.3/tcp/65535",
            Multiaddr.FromEndPoint(new IPEndPoint(IPAddress.Parse("10.1.2.3").MapToIPv6(), 65535)).ToString());
        Assert.Equal(
            "/ip6zone/3/ip6/fe80::1/tcp/1",
            Multiaddr.FromEndPoint(new IPEndPoint(IPAddress.Parse("fe80::1%3"), 1)).ToString());
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/tcp/4001", "127.0.0.1", 4001)]
    [InlineData("/ip4/127.0.0.1/tcp/4001/p2p/" + PeerIdText, "127.0.0.1", 4001)]
    [InlineData("/ip6/::1/tcp/1", "::1", 1)]
    [InlineData("/dns/example.com/tcp/443", "example.com", 443)]
    [InlineData("/dns4/example.com/tcp/443", "example.com", 443)]
    [InlineData("/dns6/example.com/tcp/443", "example.com", 443)]
    [InlineData("/ip6zone/eth0/ip6/fe80::1/tcp/9", "fe80::1%eth0", 9)]
    public void TryGetTcpTarget_PlainTcp_ReturnsHostAndPort(string text, string host, int port)
    {
        Assert.True(Multiaddr.Parse(text).TryGetTcpTarget(out var actualHost, out var actualPort));
        Assert.Equal(host, actualHost);
        Assert.Equal(port, actualPort);
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/udp/4001/quic-v1")]
    [InlineData("/ip4/127.0.0.1/tcp/4001/ws")]
    [InlineData("/ip4/127.0.0.1/tcp/4001/tls/ws")]
    [InlineData("/ip4/127.0.0.1/tcp/4001/p2p/" + PeerIdText + "/p2p-circuit")]
    [InlineData("/ip4/127.0.0.1/tcp/4001/p2p/" + PeerIdText + "/p2p-circuit/p2p/" + PeerIdText)]
    [InlineData("/dnsaddr/bootstrap.libp2p.io/tcp/1")]
    [InlineData("/p2p/" + PeerIdText)]
    [InlineData("/unix/tmp/a")]
    [InlineData("/tcp/1")]
    [InlineData("/ip4/1.2.3.4")]
    public void TryGetTcpTarget_OtherTransports_ReturnsFalse(string text)
    {
        Assert.False(Multiaddr.Parse(text).TryGetTcpTarget(out var host, out _));
        Assert.Null(host);
    }

    [Theory]
    [InlineData("/ip4/127.0.0.1/tcp/1", true, false)]
    [InlineData("/ip4/127.9.9.9/tcp/1", true, false)]
    [InlineData("/ip6/::1/tcp/1", true, false)]
    [InlineData("/dns/localhost/tcp/1", true, false)]
    [InlineData("/dns4/a.localhost/tcp/1", true, false)]
    [InlineData("/ip4/10.0.0.1/tcp/1", false, true)]
    [InlineData("/ip4/172.16.0.1/tcp/1", false, true)]
    [InlineData("/ip4/172.31.255.255/tcp/1", false, true)]
    [InlineData("/ip4/172.32.0.1/tcp/1", false, false)]
    [InlineData("/ip4/192.168.1.1/tcp/1", false, true)]
    [InlineData("/ip4/169.254.1.1/tcp/1", false, true)]
    [InlineData("/ip4/100.64.0.1/tcp/1", false, true)]
    [InlineData("/ip4/100.128.0.1/tcp/1", false, false)]
    [InlineData("/ip6/fd00::1/tcp/1", false, true)]
    [InlineData("/ip6/fe80::1/tcp/1", false, true)]
    [InlineData("/ip6/::ffff:192.168.0.1/tcp/1", false, true)]
    [InlineData("/ip4/8.8.8.8/tcp/1", false, false)]
    [InlineData("/ip6/2001:db8::1/tcp/1", false, false)]
    [InlineData("/dns/example.com/tcp/1", false, false)]
    [InlineData("/p2p-circuit", false, false)]
    public void IsLoopbackAndIsPrivate_ClassifyTheFirstComponent(string text, bool loopback, bool isPrivate)
    {
        var address = Multiaddr.Parse(text);

        Assert.Equal(loopback, address.IsLoopback);
        Assert.Equal(isPrivate, address.IsPrivate);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/", "no components")]
    [InlineData("ip4/1.2.3.4", "start with '/'")]
    [InlineData("/ip4", "needs a value")]
    [InlineData("/ip4/", "needs a value")]
    [InlineData("/ip4//tcp/1", "empty value")]
    [InlineData("/ip4/1.2.3.4//", "empty protocol name")]
    [InlineData("//ip4/1.2.3.4", "empty protocol name")]
    [InlineData("/ip4/1.2.3.4/tcp/1//", "empty protocol name")]
    [InlineData("/ip5/1.2.3.4", "unknown protocol 'ip5'")]
    [InlineData("/IP4/1.2.3.4", "unknown protocol")]
    [InlineData("/ip4/1.2.3", "IPv4")]
    [InlineData("/ip4/1.2.3.4.5", "IPv4")]
    [InlineData("/ip4/256.0.0.1", "IPv4")]
    [InlineData("/ip4/01.2.3.4", "IPv4")]
    [InlineData("/ip4/0x7f.0.0.1", "IPv4")]
    [InlineData("/ip4/127.1", "IPv4")]
    [InlineData("/ip4/::1", "IPv4")]
    [InlineData("/ip4/-1.2.3.4", "IPv4")]
    [InlineData("/ip6/1.2.3.4", "IPv6")]
    [InlineData("/ip6/fe80::1%eth0", "IPv6")]
    [InlineData("/ip6/[::1]", "IPv6")]
    [InlineData("/ip6/:::", "IPv6")]
    [InlineData("/ip6/g::1", "IPv6")]
    [InlineData("/tcp/65536", "port")]
    [InlineData("/tcp/-1", "port")]
    [InlineData("/tcp/+1", "port")]
    [InlineData("/tcp/1e3", "port")]
    [InlineData("/tcp/999999", "port")]
    [InlineData("/udp/http", "port")]
    [InlineData("/p2p/notapeerid", "peer id")]
    [InlineData("/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3p", "peer id")]
    [InlineData("/unix", "needs a path")]
    [InlineData("/unix/", "needs a path")]
    [InlineData("/unix//", "needs a path")]
    [InlineData("/dns/a\u0001b", "U+0001")]
    public void Parse_BadText_ThrowsFormatExceptionWithReason(string text, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => Multiaddr.Parse(text));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Multiaddr.TryParse(text, out var multiaddr));
        Assert.Null(multiaddr);
    }

    [Fact]
    public void Parse_LoneSurrogate_Throws()
    {
        var text = "/dns/a" + '\ud800';

        Assert.Contains("Unicode", Assert.Throws<FormatException>(() => Multiaddr.Parse(text)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_OverLimits_Throws()
    {
        var tooLongText = "/dns/" + new string('a', Multiaddr.MaxTextLength);
        var tooLongName = "/dns/" + new string('a', Multiaddr.MaxTextValueLength + 1);
        var tooManyComponents = string.Concat(Enumerable.Repeat("/ws", Multiaddr.MaxComponents + 1));
        var tooManyBytes = string.Concat(Enumerable.Repeat("/dns/" + new string('a', 255), 5));

        Assert.Contains("2048 characters", Assert.Throws<FormatException>(() => Multiaddr.Parse(tooLongText)).Message, StringComparison.Ordinal);
        Assert.Contains("at most 255", Assert.Throws<FormatException>(() => Multiaddr.Parse(tooLongName)).Message, StringComparison.Ordinal);
        Assert.Contains("32 components", Assert.Throws<FormatException>(() => Multiaddr.Parse(tooManyComponents)).Message, StringComparison.Ordinal);
        Assert.Contains("1024 bytes", Assert.Throws<FormatException>(() => Multiaddr.Parse(tooManyBytes)).Message, StringComparison.Ordinal);
        Assert.Equal(Multiaddr.MaxComponents, Multiaddr.Parse(string.Concat(Enumerable.Repeat("/ws", Multiaddr.MaxComponents))).Components.Count);
        Assert.False(Multiaddr.TryParse(null, out _));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("04c00002", "truncated /ip4")]
    [InlineData("04c000022a06", "truncated /tcp")]
    [InlineData("04c000022a0601", "truncated /tcp")]
    [InlineData("ff", "protocol code varint")]
    [InlineData("8000", "protocol code varint")]
    [InlineData("8400", "protocol code varint")]
    [InlineData("07", "unknown protocol code 7")]
    [InlineData("047f000001ffffffffffffffffff01", "protocol code varint")]
    [InlineData("35", "/dns value length")]
    [InlineData("3505616263", "truncated /dns value: 5 bytes declared, 3 remain")]
    [InlineData("3500", "the value must be 1 to 255 bytes")]
    [InlineData("3502c328", "UTF-8")]
    [InlineData("3503612f62", "U+002F")]
    [InlineData("2a00", "/ip6zone")]
    [InlineData("a50300", "peer id")]
    [InlineData("a503051203010203", "peer id")]
    [InlineData("a503ffffffff0f", "truncated /p2p value")]
    [InlineData("900300", "path is empty")]
    [InlineData("90030161", "must start with '/'")]
    [InlineData("9003012f060001", "last component")]
    [InlineData("9003ff", "/unix value length")]
    public void FromBytes_BadBinary_ThrowsFormatExceptionWithReason(string hex, string reason)
    {
        var bytes = Convert.FromHexString(hex);

        var ex = Assert.Throws<FormatException>(() => Multiaddr.FromBytes(bytes));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
        Assert.False(Multiaddr.TryFromBytes(bytes, out var multiaddr));
        Assert.Null(multiaddr);
    }

    [Fact]
    public void FromBytes_OverLimits_Throws()
    {
        var ws = new byte[(Multiaddr.MaxComponents + 1) * 2];
        for (var i = 0; i < ws.Length; i += 2)
        {
            ws[i] = 0xdd;
            ws[i + 1] = 0x03;
        }

        Assert.Contains("32 components", Assert.Throws<FormatException>(() => Multiaddr.FromBytes(ws)).Message, StringComparison.Ordinal);
        Assert.Contains("1024 bytes", Assert.Throws<FormatException>(() => Multiaddr.FromBytes(new byte[1025])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromBytes_RandomBytes_OnlyFormatExceptionAndValidResultsRoundTrip()
    {
        var random = new Random(20260601);
        byte[][] seeds =
        [
            Convert.FromHexString("047f000001060fa1a50326" + PeerIdMultihashHex),
            Convert.FromHexString("2900000000000000000000000000000001060fa1"),
            Convert.FromHexString("36096c6f63616c686f7374060fa1"),
            Convert.FromHexString("047f00000191020fa1cd03"),
            Multiaddr.Parse("/ip6zone/eth0/ip6/fe80::1/tcp/1/tls/ws").ToBytes(),
            Multiaddr.Parse("/unix/tmp/a").ToBytes(),
        ];
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            byte[] input;
            if (i % 2 == 0)
            {
                input = new byte[random.Next(0, 48)];
                random.NextBytes(input);
            }
            else
            {
                // Mutate a valid address: flip bits, truncate or extend, so that most of the structure survives.
                var seed = seeds[random.Next(seeds.Length)];
                input = seed.AsSpan(0, random.Next(seed.Length + 1)).ToArray();
                if (input.Length > 0 && random.Next(2) == 0)
                {
                    input[random.Next(input.Length)] ^= (byte)(1 << random.Next(8));
                }
            }

            Multiaddr? decoded = null;
            try
            {
                decoded = Multiaddr.FromBytes(input);
            }
            catch (FormatException)
            {
            }

            Assert.Equal(decoded is not null, Multiaddr.TryFromBytes(input, out var tried));
            if (decoded is not null)
            {
                accepted++;
                Assert.Equal(input, decoded.ToBytes());
                Assert.Equal(decoded, tried);
                Assert.Equal(decoded, Multiaddr.Parse(decoded.ToString()));
            }
        }

        Assert.InRange(accepted, 100, 19_000);
    }

    [Fact]
    public void Parse_RandomText_OnlyFormatExceptionAndValidResultsRoundTrip()
    {
        var random = new Random(7);
        string[] tokens =
        [
            "/", "/", "/", "ip4", "ip6", "tcp", "udp", "dns", "dns4", "unix", "p2p", "ipfs", "quic-v1", "ws", "ip6zone",
            "p2p-circuit", "1", "0", "255", "65535", "65536", "1.2.3.4", "::1", "fe80::", ":", ".", "a", "é", "\u0000",
            PeerIdText, PeerIdCid, "Qm", "12D3KooW",
        ];
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var builder = new StringBuilder();
            var count = random.Next(0, 10);
            for (var j = 0; j < count; j++)
            {
                builder.Append(tokens[random.Next(tokens.Length)]);
            }

            var text = builder.ToString();
            Multiaddr? parsed = null;
            try
            {
                parsed = Multiaddr.Parse(text);
            }
            catch (FormatException)
            {
            }

            Assert.Equal(parsed is not null, Multiaddr.TryParse(text, out _));
            if (parsed is not null)
            {
                accepted++;
                Assert.Equal(parsed, Multiaddr.Parse(parsed.ToString()));
                Assert.Equal(parsed, Multiaddr.FromBytes(parsed.ToBytes()));
            }
        }

        Assert.True(accepted > 0);
    }

    [Fact]
    public void Equals_ComparesBinaryForm()
    {
        var a = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1");
        var b = Multiaddr.Parse("/ip4/1.2.3.4/tcp/1/");
        var c = Multiaddr.Parse("/ip4/1.2.3.4/udp/1");

        Assert.True(a == b);
        Assert.True(a != c);
        Assert.NotEqual(a, c);
        Assert.False(a.Equals(null));
        Assert.Equal(2, new HashSet<Multiaddr> { a, b, c }.Count);
    }

    [Fact]
    public void MultiaddrProtocol_Lookup_ByCodeAndName()
    {
        Assert.True(MultiaddrProtocol.TryGetByCode(421, out var p2p));
        Assert.Same(MultiaddrProtocol.P2P, p2p);
        Assert.True(MultiaddrProtocol.TryGetByName("ipfs", out var alias));
        Assert.Same(MultiaddrProtocol.P2P, alias);
        Assert.False(MultiaddrProtocol.TryGetByCode(ulong.MaxValue, out _));
        Assert.False(MultiaddrProtocol.TryGetByName("webrtc", out _));
        Assert.Equal(MultiaddrProtocol.Known.Count, MultiaddrProtocol.Known.Select(static p => p.Code).Distinct().Count());
    }
}
