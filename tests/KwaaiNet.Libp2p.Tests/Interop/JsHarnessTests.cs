// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using System.Text.Json;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Interop;

namespace KwaaiNet.Libp2p.Tests.Interop;

/// <summary>
/// js↔js through <see cref="JsPeer"/>: proves the harness (and its p2pd emulation) before the C# host is tested
/// against it.
/// </summary>
[Trait("Category", "Interop")]
public sealed class JsHarnessTests
{
    private const string Seed = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    private const string KadProtocol = "/ipfs/kad/1.0.0";
    private const string UnaryProtocol = "kwaainet.test.rpc_echo";
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task StartAsync_Seed_PeerIdMatchesOurEd25519Derivation()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await JsPeer.StartAsync(new JsPeerOptions { Seed = Seed }, ct);

        var expected = NodeIdentity.FromEd25519Seed(Convert.FromHexString(Seed)).PeerId.ToString();
        Assert.Equal(expected, peer.PeerId);
        var addr = Assert.Single(peer.Addrs);
        Assert.StartsWith("/ip4/127.0.0.1/tcp/", addr, StringComparison.Ordinal);
        Assert.EndsWith("/p2p/" + expected, addr, StringComparison.Ordinal);
        Assert.Contains(KadProtocol, peer.Protocols);
        Assert.Contains(UnaryProtocol, peer.Protocols);
    }

    [Fact]
    public async Task Ping_BetweenTwoPeers_ReturnsRoundTrip()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);

        var reply = await b.SendAsync("ping", new { addr = a.Addrs[0] }, ct);

        Assert.True(reply.GetProperty("rttMs").GetDouble() >= 0);
        var connections = (await b.SendAsync("connections", null, ct)).GetProperty("connections");
        Assert.Contains(connections.EnumerateArray(), c => c.GetProperty("peerId").GetString() == a.PeerId);
    }

    [Fact]
    public async Task PeerInfo_AfterDial_ListsKadAndListenAddr()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);

        var dialed = await b.SendAsync("dial", new { addr = a.Addrs[0] }, ct);
        var info = await b.SendAsync("peerInfo", new { peerId = a.PeerId, waitForProtocol = KadProtocol }, TimeSpan.FromSeconds(10), ct);

        Assert.Equal(a.PeerId, dialed.GetProperty("peerId").GetString());
        var protocols = info.GetProperty("protocols").EnumerateArray().Select(static p => p.GetString()).ToList();
        Assert.Contains(KadProtocol, protocols);
        Assert.Contains("/ipfs/ping/1.0.0", protocols);
        Assert.Contains(UnaryProtocol, protocols);
        var listen = a.Addrs[0][..a.Addrs[0].IndexOf("/p2p/", StringComparison.Ordinal)];
        Assert.Contains(info.GetProperty("addrs").EnumerateArray(), x => x.GetString() == listen);
        Assert.StartsWith("js-libp2p/", info.GetProperty("agentVersion").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task FindPeer_KnownOnlyToAnotherPeersKad_ReturnsItsAddrs()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);
        await using var c = await JsPeer.StartAsync(null, ct);
        await a.SendAsync("addPeer", new { peerId = c.PeerId, addrs = c.Addrs }, ct);
        await b.SendAsync("addPeer", new { peerId = a.PeerId, addrs = a.Addrs }, ct);

        // useCache:false skips b's peer store, so the answer can only come from a FIND_NODE to a. A lookup on a
        // loaded machine may time out; repeat it within a bound.
        var found = await Poll.UntilAsync(
            async token =>
            {
                try
                {
                    return (JsonElement?)await b.SendAsync("findPeer", new { peerId = c.PeerId, useCache = false }, TimeSpan.FromSeconds(15), token);
                }
                catch (JsPeerCommandException)
                {
                    return null;
                }
            },
            static reply => reply is not null,
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200),
            ct) ?? default;

        Assert.Equal(c.PeerId, found.GetProperty("peerId").GetString());
        var listen = c.Addrs[0][..c.Addrs[0].IndexOf("/p2p/", StringComparison.Ordinal)];
        Assert.Contains(found.GetProperty("addrs").EnumerateArray(), x => x.GetString()!.StartsWith(listen, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClosestPeers_AfterAddPeer_IncludesPeersLearnedThroughKad()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);
        await using var c = await JsPeer.StartAsync(null, ct);
        await a.SendAsync("addPeer", new { peerId = c.PeerId, addrs = c.Addrs }, ct);
        var added = await b.SendAsync("addPeer", new { peerId = a.PeerId, addrs = a.Addrs }, ct);

        // A lookup keeps only peers that answered in time; on a loaded machine c may miss the first one, so repeat
        // (kad's answer settles rather than being exact on the first try).
        var peers = await Poll.UntilAsync(
            async token => string.Join(' ', (await b.SendAsync("closestPeers", new { keyHex = Convert.ToHexStringLower("kwaainet"u8) }, TimeSpan.FromSeconds(15), token))
                .GetProperty("peers").EnumerateArray().Select(static p => p.GetString())),
            list => list.Contains(a.PeerId, StringComparison.Ordinal) && list.Contains(c.PeerId, StringComparison.Ordinal),
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(200),
            ct);

        Assert.True(added.GetProperty("inRoutingTable").GetBoolean());
        // The only other peers there are; the querying peer never lists itself.
        Assert.Equal(new[] { a.PeerId, c.PeerId }.Order(StringComparer.Ordinal), peers.Split(' ').Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Unary_EchoHandler_ReturnsDataAndNamesCaller()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(new JsPeerOptions { Seed = Seed }, ct);
        await using var b = await JsPeer.StartAsync(null, ct);
        const string callId = "00112233445566778899aabbccddeeff";
        var data = Convert.ToHexStringLower("hello hivemind"u8);

        var reply = await b.SendAsync("unary", new { addr = a.Addrs[0], protocol = UnaryProtocol, dataHex = data, callIdHex = callId }, ct);
        var evt = await WaitForEventAsync(a, "unary", ct);

        Assert.Equal("response", reply.GetProperty("result").GetString());
        Assert.Equal(data, reply.GetProperty("responseHex").GetString());
        Assert.Equal(callId, reply.GetProperty("callIdHex").GetString());
        Assert.Equal(b.PeerId, evt.GetProperty("from").GetString());
        Assert.Equal(UnaryProtocol, evt.GetProperty("protocol").GetString());
        Assert.Equal(callId, evt.GetProperty("callIdHex").GetString());
        Assert.Equal(data, evt.GetProperty("dataHex").GetString());
        // The caller puts the target's peer id bytes in callUnary.peer (research §5.4 step 3).
        Assert.Equal(Convert.ToHexStringLower(PeerId.Parse(a.PeerId).Multihash.Span), evt.GetProperty("targetHex").GetString());
    }

    [Fact]
    public async Task Unary_FailData_ReturnsErrorText()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);

        var reply = await b.SendAsync("unary", new { peerId = a.PeerId, addr = a.Addrs[0], protocol = UnaryProtocol, dataHex = Convert.ToHexStringLower("fail"u8) }, ct);

        Assert.Equal("error", reply.GetProperty("result").GetString());
        Assert.Equal("ValueError('fail')", reply.GetProperty("errorText").GetString());
        Assert.False(reply.TryGetProperty("responseHex", out _));
    }

    [Fact]
    public async Task Unary_RequestWithoutCallId_IsClosedWithoutReply()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);
        var call = CallUnary(PeerId.Parse(a.PeerId), UnaryProtocol, "x"u8.ToArray());
        var frame = LengthPrefixed(ProtoField(3, call));

        var reply = await b.SendAsync("rawStream", new { addr = a.Addrs[0], protocol = UnaryProtocol, dataHex = Convert.ToHexStringLower(frame) }, ct);
        var evt = await WaitForEventAsync(a, "unaryBadRequest", ct);

        Assert.Equal("eof", reply.GetProperty("ended").GetString());
        Assert.Equal(string.Empty, reply.GetProperty("dataHex").GetString());
        Assert.Contains("callId", evt.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Unary_RawFrame_RepliesOnlyWhileCallerKeepsWriteSideOpen(bool closeWrite)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);
        var callId = Enumerable.Range(0, 16).Select(static i => (byte)i).ToArray();
        var call = CallUnary(PeerId.Parse(a.PeerId), UnaryProtocol, "ping"u8.ToArray());
        var frame = LengthPrefixed([.. ProtoField(1, callId), .. ProtoField(3, call)]);

        var reply = await b.SendAsync("rawStream", new { addr = a.Addrs[0], protocol = UnaryProtocol, dataHex = Convert.ToHexStringLower(frame), closeWrite }, ct);

        // The daemon cancels a call whose caller sent EOF before the answer and never replies (research §5.4 step 4).
        Assert.Equal("eof", reply.GetProperty("ended").GetString());
        var received = Convert.FromHexString(reply.GetProperty("dataHex").GetString()!);
        if (closeWrite)
        {
            Assert.Empty(received);
            var evt = await WaitForEventAsync(a, "unaryEarlyEof", ct);
            Assert.Equal(Convert.ToHexStringLower(callId), evt.GetProperty("callIdHex").GetString());
        }
        else
        {
            byte[] response = [.. ProtoField(1, callId), .. ProtoField(4, ProtoField(1, "ping"u8.ToArray()))];
            Assert.Equal(LengthPrefixed(response), received);
        }
    }

    [Theory]
    [InlineData(4, 1 * MiB)]
    [InlineData(1, 8 * MiB)]
    public async Task Echo_Streams_RoundTripByteForByte(int streams, int bytes)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);

        var reply = await b.SendAsync("echo", new { addr = a.Addrs[0], streams, bytes }, TimeSpan.FromSeconds(60), ct);

        Assert.Equal((long)streams * bytes, reply.GetProperty("totalBytes").GetInt64());
        for (var i = 0; i < streams; i++)
        {
            var served = await WaitForEventAsync(a, "echoServed", ct);
            Assert.Equal(bytes, served.GetProperty("bytes").GetInt64());
            Assert.Equal("eof", served.GetProperty("ended").GetString());
        }
    }

    [Fact]
    public async Task Perf_EightMiBEachWay_Completes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(null, ct);
        await using var b = await JsPeer.StartAsync(null, ct);

        var reply = await b.SendAsync("perf", new { addr = a.Addrs[0], upload = 8 * MiB, download = 8 * MiB }, TimeSpan.FromSeconds(60), ct);
        var served = await WaitForEventAsync(a, "perfServed", ct);

        Assert.True(reply.GetProperty("seconds").GetDouble() > 0);
        Assert.Equal(8 * MiB, served.GetProperty("uploaded").GetInt64());
        Assert.Equal(8 * MiB, served.GetProperty("downloaded").GetInt64());
    }

    [Fact]
    public async Task Ping_RsaPeerFromEd25519Peer_Succeeds()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var rsa = await JsPeer.StartAsync(new JsPeerOptions { Rsa = true }, ct);
        await using var ed = await JsPeer.StartAsync(new JsPeerOptions { Seed = Seed }, ct);

        var reply = await ed.SendAsync("ping", new { addr = rsa.Addrs[0] }, ct);

        Assert.StartsWith("Qm", rsa.PeerId, StringComparison.Ordinal);
        // An RSA key is too long to inline, so its peer id is a sha2-256 multihash (peer-ids.md).
        Assert.False(PeerId.Parse(rsa.PeerId).IsInlinedKey);
        Assert.True(reply.GetProperty("rttMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task SendAsync_UnknownCommand_ThrowsAndPeerKeepsServing()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var a = await JsPeer.StartAsync(new JsPeerOptions { Kad = false }, ct);

        var unknown = await Assert.ThrowsAsync<JsPeerCommandException>(() => a.SendAsync("nope", null, ct));
        var badArgs = await Assert.ThrowsAsync<JsPeerCommandException>(() => a.SendAsync("unary", new { addr = a.Addrs[0], protocol = UnaryProtocol, dataHex = "zz" }, ct));
        var noKad = await Assert.ThrowsAsync<JsPeerCommandException>(() => a.SendAsync("closestPeers", new { keyHex = "00" }, ct));
        var connections = await a.SendAsync("connections", null, ct);

        Assert.Equal("nope", unknown.Command);
        Assert.Contains("unknown command", unknown.Error, StringComparison.Ordinal);
        Assert.Contains("dataHex", badArgs.Error, StringComparison.Ordinal);
        Assert.Contains("kad is off", noKad.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(KadProtocol, a.Protocols);
        Assert.Equal(JsonValueKind.Array, connections.GetProperty("connections").ValueKind);
    }

    [Fact]
    public async Task StartAsync_InvalidSeed_ThrowsWithThePeersReason()
    {
        var ct = TestContext.Current.CancellationToken;

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => JsPeer.StartAsync(new JsPeerOptions { Seed = "abc" }, ct));

        Assert.Contains("exited with code 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--seed takes 64 hex digits", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> WaitForEventAsync(JsPeer peer, string name, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(EventTimeout);
        return await peer.WaitForEventAsync(name, null, timeout.Token);
    }

    // CallUnaryRequest{peer(1), proto(2), data(3)} (research §5.3).
    private static byte[] CallUnary(PeerId target, string protocol, byte[] data) =>
        [.. ProtoField(1, target.Multihash.ToArray()), .. ProtoField(2, Encoding.UTF8.GetBytes(protocol)), .. ProtoField(3, data)];

    private static byte[] ProtoField(int field, byte[] value) =>
        [.. UVarintBytes((ulong)((field << 3) | 2)), .. UVarintBytes((ulong)value.Length), .. value];

    private static byte[] LengthPrefixed(byte[] message) => [.. UVarintBytes((ulong)message.Length), .. message];

    private static byte[] UVarintBytes(ulong value)
    {
        var bytes = new List<byte>();
        while (value >= 0x80)
        {
            bytes.Add((byte)(value | 0x80));
            value >>= 7;
        }

        bytes.Add((byte)value);
        return [.. bytes];
    }
}
