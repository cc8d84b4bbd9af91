// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using System.Text.Json;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Multistream;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Libp2p.Tests.Network;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Interop;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Tests.Interop;

/// <summary>
/// Our host (<see cref="TestNode"/>) against js-libp2p (<see cref="JsPeer"/>), each exchange in both directions: the
/// js peer is an independent implementation of the same specs, so these check wire compatibility.
/// </summary>
[Trait("Category", "Interop")]
public sealed class InteropTests
{
    private const string EchoUnary = "kwaainet.test.rpc_echo";
    private const string EchoProtocol = "/kwaainet/echo/1.0.0";
    private const string OurAgent = "kwaainet-aspire/test";
    private const int MiB = 1024 * 1024;
    private const int Chunk = 64 * 1024;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Ping_BothWays(bool weDial)
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial, ct);

        var ourRtt = await PingService.PingAsync(ours.Host, jsId, ct);
        var jsPing = await JsPingAsync(js, ours.PeerId, ct);

        Assert.True(ourRtt > TimeSpan.Zero);
        Assert.True(jsPing.GetProperty("rttMs").GetDouble() >= 0);
        // One connection, whichever side dialled: each ping reused it.
        Assert.Single(ours.Host.Connections);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Identify_EachSideSeesTheOthersProtocolsAddressesAndAgent(bool weDial)
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial, ct);

        // What js learned about us.
        var info = await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = KadDht.ProtocolId }, ct);
        var theirView = info.GetProperty("protocols").EnumerateArray().Select(static p => p.GetString()).ToList();
        Assert.Contains(KadDht.ProtocolId, theirView);
        Assert.Contains(PingService.ProtocolId, theirView);
        Assert.Contains(IdentifyService.ProtocolId, theirView);
        Assert.Contains(IdentifyService.PushProtocolId, theirView);
        Assert.Contains(info.GetProperty("addrs").EnumerateArray(), a => a.GetString() == ours.Host.ListenAddresses[0].ToString());
        Assert.Equal(OurAgent, info.GetProperty("agentVersion").GetString());
        Assert.Equal(IdentifyService.ProtocolVersion, info.GetProperty("protocolVersion").GetString());

        // What we learned about js.
        await Poll.UntilAsync(() => ours.Host.PeerStore.GetProtocols(jsId).Contains(KadDht.ProtocolId), ct);
        var ourView = ours.Host.PeerStore.GetProtocols(jsId);
        foreach (var protocol in js.Protocols)
        {
            Assert.Contains(protocol, ourView);
        }

        Assert.Contains(PingService.ProtocolId, ourView);
        Assert.Contains(EchoUnary, ourView);
        Assert.Contains(ListenAddress(js), ours.Host.PeerStore.GetAddresses(jsId));
        Assert.True(ours.Host.PeerStore.TryGet(jsId, out var record));
        Assert.StartsWith("js-libp2p/", record.AgentVersion, StringComparison.Ordinal);
        Assert.NotNull(record.PublicKey);
    }

    [Fact]
    public async Task IdentifyPush_JsLearnsAProtocolWeAddLater()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        await ConnectAsync(ours, js, weDial: true, ct);
        await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = KadDht.ProtocolId }, ct);

        ours.Unary.AddHandler("kwaainet.test.rpc_added_later", static (_, _) => Task.FromResult(UnaryResult.Ok(Array.Empty<byte>())));

        // Only a push can tell js: it does not identify an open connection again.
        var info = await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = "kwaainet.test.rpc_added_later" }, ct);
        Assert.Contains(info.GetProperty("protocols").EnumerateArray(), p => p.GetString() == "kwaainet.test.rpc_added_later");
    }

    [Fact]
    public async Task YamuxPing_JsAnswersOurs()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);
        var connection = ours.Host.FindConnection(jsId)!;

        // The keepalive's ping frame (yamux spec §Ping: SYN with an opaque value, answered by ACK with the same one).
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await connection.Session.PingAsync(ct) > TimeSpan.Zero);
        }

        Assert.False(connection.IsClosed);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ClosingTheConnection_IsSeenByTheOtherSide_AndItCanRedial(bool jsCloses)
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);
        var connection = ours.Host.FindConnection(jsId)!;
        await Poll.UntilAsync(() => ours.Host.PeerStore.GetProtocols(jsId).Contains(KadDht.ProtocolId), ct);

        // Both sides identified each other, so each has the other's listen addresses to redial after the close.
        await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = KadDht.ProtocolId }, ct);

        if (jsCloses)
        {
            await js.SendAsync("hangup", new { peerId = ours.PeerId.ToString() }, ct);
            await connection.Completion.WaitAsync(ct);
            await Poll.UntilAsync(() => ours.Host.FindConnection(jsId) is null, ct);
            Assert.True(await PingService.PingAsync(ours.Host, jsId, ct) > TimeSpan.Zero);
        }
        else
        {
            await connection.DisposeAsync();
            var closed = await WaitForEventAsync(js, "connectionClose", ct);
            Assert.Equal(ours.PeerId.ToString(), closed.GetProperty("peerId").GetString());
            Assert.True((await JsPingAsync(js, ours.PeerId, ct)).GetProperty("rttMs").GetDouble() >= 0);
        }

        Assert.NotSame(connection, ours.Host.FindConnection(jsId));
    }

    [Fact]
    public async Task Kad_OurFindNodeAgainstJs_ReturnsThePeersJsKnows()
    {
        using var cts = Timeout(60);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var other = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        await js.SendAsync("addPeer", new { peerId = other.PeerId, addrs = other.Addrs }, ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);
        var otherId = PeerId.Parse(other.PeerId);

        var peers = await ours.Kad.FindNodeAsync(jsId, otherId.Multihash, ct);

        // js may name the target twice (from its routing table and, because the key is a peer id, its peer store).
        Assert.Contains(peers, p => p.Id == otherId && p.Addresses.Contains(ListenAddress(other)));
        Assert.DoesNotContain(peers, p => p.Id == ours.PeerId);
        // The answer went to our peer store, so the peer can now be dialled by id alone.
        Assert.Contains(ListenAddress(other), ours.Host.PeerStore.GetAddresses(otherId));
    }

    [Fact]
    public async Task Kad_JsFindsAPeerKnownOnlyToUs()
    {
        using var cts = Timeout(90);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        await using var third = await StartNodeAsync(ct);
        await third.Host.ConnectAsync(ours.Address, ct);
        await Poll.UntilAsync(() => ours.Host.PeerStore.GetProtocols(third.PeerId).Contains(KadDht.ProtocolId), ct);
        await ConnectAsync(ours, js, weDial: false, ct);
        await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = KadDht.ProtocolId }, ct);

        // useCache:false: the answer can only come from a FIND_NODE to us. A lookup on a loaded machine may time out;
        // repeat it within a bound.
        var found = await RetryAsync(
            token => js.SendAsync("findPeer", new { peerId = third.PeerId.ToString(), useCache = false }, TimeSpan.FromSeconds(15), token), ct);
        var closest = await Poll.UntilAsync(
            async token => string.Join(' ', (await js.SendAsync("closestPeers", new { keyHex = Convert.ToHexStringLower(third.PeerId.Multihash.Span) }, TimeSpan.FromSeconds(15), token))
                .GetProperty("peers").EnumerateArray().Select(static p => p.GetString())),
            list => list.Contains(third.PeerId.ToString(), StringComparison.Ordinal),
            TimeSpan.FromSeconds(45),
            TimeSpan.FromMilliseconds(200),
            ct);

        Assert.Equal(third.PeerId.ToString(), found.GetProperty("peerId").GetString());
        Assert.Contains(found.GetProperty("addrs").EnumerateArray(), a => a.GetString()!.StartsWith(third.Host.ListenAddresses[0].ToString(), StringComparison.Ordinal));
        Assert.Contains(ours.PeerId.ToString(), closest.Split(' '));
        // js learned the third node's address from us and can reach it.
        var ping = await JsPingAsync(js, third.PeerId, ct);
        Assert.True(ping.GetProperty("rttMs").GetDouble() >= 0);
    }

    [Fact]
    public async Task Kad_OurFindPeer_FindsAPeerKnownOnlyToJs()
    {
        using var cts = Timeout(60);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var hidden = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        await js.SendAsync("addPeer", new { peerId = hidden.PeerId, addrs = hidden.Addrs }, ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);
        await Poll.UntilAsync(() => ours.Host.PeerStore.GetProtocols(jsId).Contains(KadDht.ProtocolId), ct);
        var hiddenId = PeerId.Parse(hidden.PeerId);
        Assert.Empty(ours.Host.PeerStore.GetAddresses(hiddenId));

        var addresses = await ours.Kad.FindPeerAsync(hiddenId, ct);
        var connection = await ours.Host.ConnectAsync(hiddenId, null, ct);

        Assert.Contains(ListenAddress(hidden), addresses);
        Assert.Equal(hiddenId, connection.RemotePeer);
        Assert.True(await PingService.PingAsync(ours.Host, hiddenId, ct) > TimeSpan.Zero);
    }

    [Fact]
    public async Task Kad_JsFindNodeForOurOwnId_ReturnsUs()
    {
        using var cts = Timeout(60);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        await ConnectAsync(ours, js, weDial: true, ct);
        await js.SendAsync("peerInfo", new { peerId = ours.PeerId.ToString(), waitForProtocol = KadDht.ProtocolId }, ct);

        // js's findPeer without the cache asks the peers in its routing table (only us) FIND_NODE for the target and
        // succeeds only when an answer names the target: we must list ourselves (the check go's lookups make before
        // admitting a peer to the routing table).
        var found = await RetryAsync(
            token => js.SendAsync("findPeer", new { peerId = ours.PeerId.ToString(), useCache = false }, TimeSpan.FromSeconds(15), token), ct);

        Assert.Equal(ours.PeerId.ToString(), found.GetProperty("peerId").GetString());
        Assert.Contains(found.GetProperty("addrs").EnumerateArray(), a => a.GetString()!.StartsWith(ours.Host.ListenAddresses[0].ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unary_WeCallJs_ResponseAndErrorArm_WithTheWriteSideKeptOpen()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);

        var response = await ours.Unary.CallAsync(jsId, EchoUnary, "hello hivemind"u8.ToArray(), ct);
        var error = await Assert.ThrowsAsync<UnaryCallException>(() => ours.Unary.CallAsync(jsId, EchoUnary, "fail"u8.ToArray(), ct));
        var empty = await ours.Unary.CallAsync(jsId, EchoUnary, Array.Empty<byte>(), ct);

        Assert.Equal("hello hivemind"u8.ToArray(), response);
        Assert.Equal("ValueError('fail')", error.Message);
        Assert.Empty(empty);
        for (var i = 0; i < 3; i++)
        {
            var call = await WaitForEventAsync(js, "unary", ct);
            Assert.Equal(ours.PeerId.ToString(), call.GetProperty("from").GetString());
            Assert.Equal(EchoUnary, call.GetProperty("protoField").GetString());
            Assert.Equal(jsId.ToString(), call.GetProperty("targetPeerId").GetString());
        }

        // The daemon cancels a call whose caller half-closed before the reply (research §5.4 step 4).
        Assert.DoesNotContain(js.PendingEvents(), e => e.GetProperty("event").GetString() is "unaryEarlyEof" or "unaryBadRequest");
    }

    [Fact]
    public async Task Unary_JsCallsUs_HandlerSeesJsAsTheCaller()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var callers = new List<PeerId>();
        ours.Unary.AddHandler(EchoUnary, (request, _) =>
        {
            lock (callers)
            {
                callers.Add(request.Caller);
            }

            return Task.FromResult(request.Data.Span.SequenceEqual("fail"u8)
                ? UnaryResult.Fail("ValueError('fail')")
                : UnaryResult.Ok(request.Data.ToArray().Reverse().ToArray()));
        });
        const string callId = "00112233445566778899aabbccddeeff";

        var ok = await js.SendAsync("unary", new { addr = ours.Address.ToString(), protocol = EchoUnary, dataHex = Convert.ToHexStringLower("abc"u8), callIdHex = callId }, ct);
        var failed = await js.SendAsync("unary", new { peerId = ours.PeerId.ToString(), protocol = EchoUnary, dataHex = Convert.ToHexStringLower("fail"u8) }, ct);

        Assert.Equal("response", ok.GetProperty("result").GetString());
        Assert.Equal(Convert.ToHexStringLower("cba"u8), ok.GetProperty("responseHex").GetString());
        Assert.Equal(callId, ok.GetProperty("callIdHex").GetString());
        Assert.Equal("error", failed.GetProperty("result").GetString());
        Assert.Equal("ValueError('fail')", failed.GetProperty("errorText").GetString());
        lock (callers)
        {
            Assert.Equal(new[] { PeerId.Parse(js.PeerId), PeerId.Parse(js.PeerId) }, callers);
        }
    }

    [Theory]
    [InlineData(1, 64 * MiB)]
    [InlineData(100, 1 * MiB)]
    public async Task Echo_JsThroughOurEchoHandler_RoundTripsByteForByte(int streams, int bytes)
    {
        using var cts = Timeout(120);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var served = 0L;
        ours.Host.Protocols.Add(EchoProtocol, async (stream, token) =>
        {
            await stream.Stream.CopyToAsync(stream.Stream, Chunk, token);
            await stream.CompleteWritesAsync();
            Interlocked.Increment(ref served);
        });

        // js checks each stream byte for byte and fails the command naming the stream and offset.
        var reply = await js.SendAsync("echo", new { addr = ours.Address.ToString(), streams, bytes }, TimeSpan.FromSeconds(110), ct);

        Assert.Equal((long)streams * bytes, reply.GetProperty("totalBytes").GetInt64());
        await Poll.UntilAsync(() => Interlocked.Read(ref served) == streams, ct);
    }

    [Theory]
    [InlineData(1, 64 * MiB)]
    [InlineData(100, 1 * MiB)]
    public async Task Echo_OurStreamsThroughJsEchoHandler_RoundTripByteForByte(int streams, int bytes)
    {
        using var cts = Timeout(120);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);

        var received = await Task.WhenAll(Enumerable.Range(0, streams).Select(i => EchoThroughAsync(ours, jsId, i, bytes, ct)));

        Assert.All(received, r => Assert.Equal(bytes, r));
        for (var i = 0; i < streams; i++)
        {
            var served = await WaitForEventAsync(js, "echoServed", ct);
            Assert.Equal("eof", served.GetProperty("ended").GetString());
            Assert.Equal(bytes, served.GetProperty("bytes").GetInt64());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RsaPeer_ConnectsBothWays(bool weDial)
    {
        using var cts = Timeout(60);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(new JsPeerOptions { Rsa = true }, ct);
        await using var ours = await StartNodeAsync(ct);

        var jsId = await ConnectAsync(ours, js, weDial, ct);
        var rtt = await PingService.PingAsync(ours.Host, jsId, ct);
        var jsPing = await JsPingAsync(js, ours.PeerId, ct);

        Assert.StartsWith("Qm", js.PeerId, StringComparison.Ordinal);
        Assert.Equal(KeyType.Rsa, ours.Host.FindConnection(jsId)!.RemotePublicKey.Type);
        Assert.True(rtt > TimeSpan.Zero);
        Assert.True(jsPing.GetProperty("rttMs").GetDouble() >= 0);
        // Identify carries the RSA key too; it must be the one Noise authenticated.
        await Poll.UntilAsync(() => ours.Host.PeerStore.GetProtocols(jsId).Contains(KadDht.ProtocolId), ct);
    }

    [Fact]
    public async Task DialingJsWithAWrongPeerId_FailsWithAPeerIdMismatch()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var impostor = NodeIdentity.GenerateEd25519().PeerId;

        var error = await Assert.ThrowsAsync<DialException>(() => ours.Host.ConnectAsync(ListenAddress(js).WithPeerId(impostor), ct));

        Assert.IsType<NoisePeerIdMismatchException>(error.InnerException);
        Assert.Empty(ours.Host.Connections);
        Assert.Equal(PeerId.Parse(js.PeerId), (await ours.Host.ConnectAsync(Multiaddr.Parse(js.Addrs[0]), ct)).RemotePeer);
    }

    [Fact]
    public async Task UnsupportedProtocols_AreRefusedBothWays_AndTheConnectionStays()
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        var jsId = await ConnectAsync(ours, js, weDial: true, ct);

        var ourError = await Assert.ThrowsAsync<ProtocolNotSupportedException>(() => ours.Host.OpenStreamAsync(jsId, ["/kwaainet/missing/1.0.0"], ct));
        var jsError = await Assert.ThrowsAsync<JsPeerCommandException>(() =>
            js.SendAsync("rawStream", new { peerId = ours.PeerId.ToString(), protocol = "/kwaainet/missing/1.0.0", dataHex = "00" }, ct));

        Assert.Contains("/kwaainet/missing/1.0.0", ourError.Message, StringComparison.Ordinal);
        Assert.Contains("UnsupportedProtocol", jsError.Error, StringComparison.Ordinal);
        // multistream-select "na" leaves the connection usable (connection-establishment.md).
        var chosen = await ours.Host.OpenStreamAsync(jsId, ["/kwaainet/missing/1.0.0", PingService.ProtocolId], ct);
        await chosen.DisposeAsync();
        Assert.Equal(PingService.ProtocolId, chosen.Protocol);
        Assert.True(await PingService.PingAsync(ours.Host, jsId, ct) > TimeSpan.Zero);
        Assert.True((await JsPingAsync(js, ours.PeerId, ct)).GetProperty("rttMs").GetDouble() >= 0);
        Assert.Single(ours.Host.Connections);
    }

    public static TheoryData<string, string, bool> BadUnaryInput()
    {
        var random = new byte[200];
        new Random(7).NextBytes(random);
        // callUnary {peer, proto, data} without field 1 (callId), length-prefixed.
        byte[] noCallId = [.. ProtoField(3, [.. ProtoField(1, [0x00, 0x00]), .. ProtoField(2, Encoding.UTF8.GetBytes(EchoUnary)), .. ProtoField(3, "x"u8.ToArray())])];
        return new()
        {
            { "no call id", Convert.ToHexStringLower([.. UVarintBytes((ulong)noCallId.Length), .. noCallId]), false },
            { "random bytes", Convert.ToHexStringLower(random), true },
            { "2 MiB length prefix", "ffff7f" + "00000000", false },
            { "invalid varint", "ffffffffffffffffffff01", false },
        };
    }

    [Theory]
    [MemberData(nameof(BadUnaryInput))]
    public async Task BadInputFromJs_EndsThatStreamWithoutAReply_AndWeKeepServing(string what, string hex, bool closeWrite)
    {
        using var cts = Timeout(30);
        var ct = cts.Token;
        await using var js = await JsPeer.StartAsync(null, ct);
        await using var ours = await StartNodeAsync(ct);
        ours.Unary.AddHandler(EchoUnary, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data)));

        var raw = await js.SendAsync("rawStream", new { addr = ours.Address.ToString(), protocol = EchoUnary, dataHex = hex, closeWrite, waitMs = 10_000 }, ct);

        Assert.True(raw.GetProperty("ended").GetString() is "eof" or "reset", what + ": " + raw);
        Assert.Equal(string.Empty, raw.GetProperty("dataHex").GetString());
        var call = await js.SendAsync("unary", new { peerId = ours.PeerId.ToString(), protocol = EchoUnary, dataHex = "6f6b" }, ct);
        Assert.Equal("6f6b", call.GetProperty("responseHex").GetString());
        var ping = await JsPingAsync(js, ours.PeerId, ct);
        Assert.True(ping.GetProperty("rttMs").GetDouble() >= 0);
        Assert.Single(ours.Host.Connections);
    }

    /// <summary>
    /// Opens an echo stream to js and pushes <paramref name="bytes"/> of pseudo-random data through it while reading
    /// the echo, comparing as it arrives; returns the bytes received.
    /// </summary>
    private static async Task<long> EchoThroughAsync(TestNode ours, PeerId js, int index, int bytes, CancellationToken ct)
    {
        await using var stream = await ours.Host.OpenStreamAsync(js, [EchoProtocol], ct);
        var writing = Task.Run(
            async () =>
            {
                var pattern = new PatternBytes(index);
                var buffer = new byte[Chunk];
                for (var left = bytes; left > 0; left -= Chunk)
                {
                    var part = buffer.AsMemory(0, Math.Min(Chunk, left));
                    pattern.Fill(part.Span);
                    await stream.Stream.WriteAsync(part, ct);
                }

                await stream.CompleteWritesAsync();
            },
            ct);
        var reading = Task.Run(
            async () =>
            {
                var pattern = new PatternBytes(index);
                var buffer = new byte[Chunk];
                var expected = new byte[Chunk];
                long offset = 0;
                while (true)
                {
                    var read = await stream.Stream.ReadAsync(buffer, ct);
                    if (read == 0)
                    {
                        return offset;
                    }

                    Assert.True(offset + read <= bytes, $"stream {index}: more than the {bytes} bytes sent came back");
                    pattern.Fill(expected.AsSpan(0, read));
                    var differs = buffer.AsSpan(0, read).CommonPrefixLength(expected.AsSpan(0, read));
                    Assert.True(differs == read, $"stream {index}: the echo differs at offset {offset + differs}");
                    offset += read;
                }
            },
            ct);
        await Task.WhenAll(writing, reading);
        return await reading;
    }

    /// <summary>Connects our node and js, ours dialling or js dialling; returns js's peer id once both sides see the connection.</summary>
    private static async Task<PeerId> ConnectAsync(TestNode ours, JsPeer js, bool weDial, CancellationToken ct)
    {
        var jsId = PeerId.Parse(js.PeerId);
        if (weDial)
        {
            var connection = await ours.Host.ConnectAsync(Multiaddr.Parse(js.Addrs[0]), ct);
            Assert.Equal(jsId, connection.RemotePeer);
            Assert.False(connection.IsInbound);
        }
        else
        {
            var dialed = await js.SendAsync("dial", new { addr = ours.Address.ToString() }, ct);
            Assert.Equal(ours.PeerId.ToString(), dialed.GetProperty("peerId").GetString());
            await Poll.UntilAsync(() => ours.Host.FindConnection(jsId) is not null, ct);
            Assert.True(ours.Host.FindConnection(jsId)!.IsInbound);
        }

        return jsId;
    }

    /// <summary>
    /// js pings <paramref name="peer"/>. js's ping service allows one outbound ping stream per connection, and
    /// kad-dht 16 pings every new kad peer through that same service before admitting it to its routing table
    /// (routing-table verifyNewContact), so a ping right after identify can collide with that one
    /// (TooManyOutboundProtocolStreamsError "2/1"); that is js racing itself, so try again once its ping is done.
    /// </summary>
    private static async Task<JsonElement> JsPingAsync(JsPeer js, PeerId peer, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await js.SendAsync("ping", new { peerId = peer.ToString() }, ct);
            }
            catch (JsPeerCommandException ex) when (attempt < 20 && ex.Error.Contains("TooManyOutboundProtocolStreamsError", StringComparison.Ordinal))
            {
                await Task.Delay(100, ct);
            }
        }
    }

    private static Task<TestNode> StartNodeAsync(CancellationToken ct) =>
        TestNode.StartAsync(loggerFactory: TestOutputLoggerFactory.Create(), cancellationToken: ct);

    /// <summary>js's listen address without /p2p, as identify and kad carry it.</summary>
    private static Multiaddr ListenAddress(JsPeer js) => Multiaddr.Parse(js.Addrs[0]).WithoutPeerId();

    /// <summary>
    /// Repeats a kad command that may fail on a loaded machine (a lookup's query timing out) for up to 40 s; then
    /// fails with the last error.
    /// </summary>
    private static async Task<JsonElement> RetryAsync(Func<CancellationToken, Task<JsonElement>> command, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(40));
        string? lastError = null;
        try
        {
            while (true)
            {
                try
                {
                    return await command(deadline.Token);
                }
                catch (JsPeerCommandException ex)
                {
                    lastError = ex.Error;
                }

                await Task.Delay(200, deadline.Token);
            }
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException("The kad command kept failing for 40 s; the last error: " + (lastError ?? "none"), ex);
        }
    }

    private static async Task<JsonElement> WaitForEventAsync(JsPeer peer, string name, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(15));
        return await peer.WaitForEventAsync(name, null, timeout.Token);
    }

    private static CancellationTokenSource Timeout(int seconds)
    {
        return TestTimeout.Start(TimeSpan.FromSeconds(seconds));
    }

    private static byte[] ProtoField(int field, byte[] value) =>
        [.. UVarintBytes((ulong)((field << 3) | 2)), .. UVarintBytes((ulong)value.Length), .. value];

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

    /// <summary>Deterministic pseudo-random bytes (xorshift64), the same sequence however the output is chunked.</summary>
    private sealed class PatternBytes(int seed)
    {
        private ulong _state = 0x9E3779B97F4A7C15UL * (ulong)(seed + 1);
        private ulong _word;
        private int _left;

        public void Fill(Span<byte> destination)
        {
            foreach (ref var b in destination)
            {
                if (_left == 0)
                {
                    _state ^= _state << 13;
                    _state ^= _state >> 7;
                    _state ^= _state << 17;
                    _word = _state;
                    _left = 8;
                }

                b = (byte)_word;
                _word >>= 8;
                _left--;
            }
        }
    }

    /// <summary>Our node's warnings and errors in the test output, to explain a failure.</summary>
    private sealed class TestOutputLoggerFactory : ILoggerProvider
    {
        private readonly ITestOutputHelper? _output = TestContext.Current.TestOutputHelper;

        public static ILoggerFactory Create() =>
            LoggerFactory.Create(builder => builder.SetMinimumLevel(LogLevel.Information).AddProvider(new TestOutputLoggerFactory()));

        public ILogger CreateLogger(string categoryName) => new OutputLogger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class OutputLogger(TestOutputLoggerFactory provider, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                try
                {
                    provider._output?.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category[(category.LastIndexOf('.') + 1)..]}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception)}");
                }
                catch (InvalidOperationException)
                {
                    // The test has finished; a background task logged late.
                }
            }
        }
    }
}
