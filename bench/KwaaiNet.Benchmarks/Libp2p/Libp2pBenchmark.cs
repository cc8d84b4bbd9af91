// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Noise;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Interop;
using Microsoft.Extensions.Logging.Abstractions;

namespace KwaaiNet.Benchmarks.Libp2p;

/// <summary>
/// Our libp2p stack on 127.0.0.1 against its ceilings and against js-libp2p, all measured in one run with the runs
/// interleaved: single-stream throughput (raw TCP, TCP + ChaCha20-Poly1305 framing, ours↔ours, js↔js, ours↔js),
/// 1,000 concurrent streams, bytes allocated per MB moved, and unary call round trips. Ends with a PASS/FAIL line
/// per target of the issue: ours↔ours at least 2.5× js↔js and at least 60% of the crypto ceiling.
/// </summary>
internal static class Libp2pBenchmark
{
    public const double TargetVsJs = 2.5;
    public const double TargetVsCeiling = 0.6;

    private const string EchoProtocol = "/kwaainet/echo/1.0.0";
    private const string UnaryProtocol = "kwaainet.bench.rpc_echo";
    private const int RawWriteSize = 64 * 1024;
    private const int ConcurrentStreams = 1000;
    private const int BytesPerStream = 16 * 1024;

    // js-yamux caps a connection at 1,000 outbound streams, identify's included: the js baseline runs 900 at once.
    private const int JsConcurrentStreams = 900;
    private const int UnaryPayload = 64;
    private const double Mega = 1_000_000;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    public static async Task<(IReadOnlyList<BenchmarkResult> Results, IReadOnlyList<string> Verdicts)> RunAsync(bool quick, CancellationToken cancellationToken)
    {
        long bytes = quick ? 32L << 20 : 256L << 20;
        var runs = quick ? 3 : 5;
        var unaryCalls = quick ? 300 : 2000;

        await using var env = await Nodes.StartAsync(cancellationToken);

        // Warm-up: JIT, connections, windows grown, pools filled.
        await Console.Error.WriteLineAsync("libp2p: warm-up");
        await RawTcpAsync(8L << 20, cancellationToken);
        await ChaChaFramingAsync(8L << 20, cancellationToken);
        await env.OursToOursAsync(8L << 20, cancellationToken);
        await env.OursToJsAsync(8L << 20, cancellationToken);
        await env.JsToOursAsync(8L << 20, cancellationToken);
        await env.JsToJsAsync(8L << 20, cancellationToken);
        await env.StreamsOursAsync(cancellationToken);
        await env.StreamsJsAsync(cancellationToken);
        await env.UnaryCallsPerSecondAsync(50, cancellationToken);
        await RawPingPongPerSecondAsync(50, cancellationToken);

        List<double> raw = [], chacha = [], ours = [], jsjs = [], oursJs = [], jsOurs = [];
        List<double> rawAlloc = [], chachaAlloc = [], oursAlloc = [];
        List<double> streamsOurs = [], streamsJs = [], unary = [], pingPong = [];
        for (var i = 0; i < runs; i++)
        {
            await Console.Error.WriteLineAsync($"libp2p: run {i + 1}/{runs}");
            var (mbps, alloc) = await RawTcpAsync(bytes, cancellationToken);
            raw.Add(mbps);
            rawAlloc.Add(alloc);
            (mbps, alloc) = await ChaChaFramingAsync(bytes, cancellationToken);
            chacha.Add(mbps);
            chachaAlloc.Add(alloc);
            (mbps, alloc) = await env.OursToOursAsync(bytes, cancellationToken);
            ours.Add(mbps);
            oursAlloc.Add(alloc);
            jsjs.Add(await env.JsToJsAsync(bytes, cancellationToken));
            oursJs.Add(await env.OursToJsAsync(bytes, cancellationToken));
            jsOurs.Add(await env.JsToOursAsync(bytes, cancellationToken));
            streamsOurs.Add(await env.StreamsOursAsync(cancellationToken));
            streamsJs.Add(await env.StreamsJsAsync(cancellationToken));
            unary.Add(await env.UnaryCallsPerSecondAsync(unaryCalls, cancellationToken));
            pingPong.Add(await RawPingPongPerSecondAsync(unaryCalls, cancellationToken));
        }

        var size = bytes >> 20;
        const string ceiling = "TCP + ChaCha20-Poly1305 framing";
        const string jsName = "js↔js (perf)";
        BenchmarkResult vsJs = new("ours↔ours vs js↔js", "MB/s", ours, jsName, jsjs);
        BenchmarkResult vsCeiling = new("ours↔ours vs crypto ceiling", "MB/s", ours, ceiling, chacha);
        List<double> oursRate = [.. streamsOurs.Select(static s => ConcurrentStreams / s)];
        List<double> jsRate = [.. streamsJs.Select(static s => JsConcurrentStreams / s)];
        List<double> jsScaled = [.. streamsJs.Select(static s => s * ConcurrentStreams / JsConcurrentStreams)];
        var jsEcho = $"js↔js echo ({JsConcurrentStreams} streams";
        List<BenchmarkResult> results =
        [
            new($"throughput, {ceiling} ({size} MiB, 1 stream)", "MB/s", chacha, "raw TCP (64 KiB writes)", raw),
            new($"throughput, ours↔ours perf ({size} MiB, 1 stream)", "MB/s", ours, "raw TCP (64 KiB writes)", raw),
            vsJs,
            vsCeiling,
            new("throughput, ours→js perf (our client, js server)", "MB/s", oursJs, jsName, jsjs),
            new("throughput, js→ours perf (js client, our server)", "MB/s", jsOurs, jsName, jsjs),
            new($"{ConcurrentStreams} concurrent streams ours↔ours ({BytesPerStream / 1024} KiB echoed each), total", "s", streamsOurs, jsEcho + $", time × {ConcurrentStreams}/{JsConcurrentStreams})", jsScaled),
            new($"{ConcurrentStreams} concurrent streams ours↔ours, rate", "streams/s", oursRate, jsEcho + ")", jsRate),
            new("allocated per MB moved, ours↔ours (both ends)", "B/MB", oursAlloc, ceiling, chachaAlloc),
            new($"allocated per MB moved, {ceiling} (both ends)", "B/MB", chachaAlloc, "raw TCP", rawAlloc),
            new($"unary calls ours↔ours, sequential ({UnaryPayload} B echo)", "calls/s", unary, $"raw TCP ping-pong ({UnaryPayload} B)", pingPong),
        ];

        var c = CultureInfo.InvariantCulture;
        List<string> verdicts =
        [
            string.Format(c, "Target ours↔ours ≥ {0:0.0}× js↔js: {1} ({2:0.00}×)", TargetVsJs, vsJs.Ratio >= TargetVsJs ? "PASS" : "FAIL", vsJs.Ratio),
            string.Format(c, "Target ours↔ours ≥ {0:0}% of the TCP + ChaCha20-Poly1305 ceiling: {1} ({2:0}%)", TargetVsCeiling * 100, vsCeiling.Ratio >= TargetVsCeiling ? "PASS" : "FAIL", vsCeiling.Ratio * 100),
        ];
        return (results, verdicts);
    }

    /// <summary>Raw TCP: one socket pair, 64 KiB writes, the reader counts to the end. Returns MB/s and bytes allocated per MB.</summary>
    private static async Task<(double MegabytesPerSecond, double AllocatedPerMegabyte)> RawTcpAsync(long bytes, CancellationToken cancellationToken)
    {
        await using var pair = await LoopbackSockets.CreateAsync(cancellationToken);
        return await MeasureTransferAsync(
            bytes,
            async ct =>
            {
                await WriteZerosAsync(pair.Client, bytes, RawWriteSize, ct);
                pair.ClientSocket.Shutdown(SocketShutdown.Send);
            },
            ct => DrainAsync(pair.Server, ct),
            cancellationToken);
    }

    /// <summary>
    /// The crypto ceiling: two NoiseStreams with fixed keys over a socket pair, no handshake, no muxer; the writer
    /// uses the same write size as our perf client, the reader the same buffer.
    /// </summary>
    private static async Task<(double MegabytesPerSecond, double AllocatedPerMegabyte)> ChaChaFramingAsync(long bytes, CancellationToken cancellationToken)
    {
        await using var pair = await LoopbackSockets.CreateAsync(cancellationToken);
        var k1 = RandomNumberGenerator.GetBytes(32);
        var k2 = RandomNumberGenerator.GetBytes(32);
        await using var writer = NoiseStream.CreateFromTransportKeys(pair.Client, k1, k2);
        await using var reader = NoiseStream.CreateFromTransportKeys(pair.Server, k2, k1);

        // Steady state, as for our hosts' long-lived connection: the read buffers exist and the pools hold a write buffer.
        var warmUp = WriteZerosAsync(writer, 1 << 20, PerfProtocol.WriteSize, cancellationToken);
        await reader.ReadExactlyAsync(new byte[1 << 20], cancellationToken);
        await warmUp;
        return await MeasureTransferAsync(
            bytes,
            async ct =>
            {
                await WriteZerosAsync(writer, bytes, PerfProtocol.WriteSize, ct);
                pair.ClientSocket.Shutdown(SocketShutdown.Send);
            },
            ct => DrainAsync(reader, ct),
            cancellationToken);
    }

    private static async Task<(double MegabytesPerSecond, double AllocatedPerMegabyte)> MeasureTransferAsync(
        long bytes, Func<CancellationToken, Task> write, Func<CancellationToken, Task<long>> read, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StepTimeout);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var reading = read(timeout.Token);
        await write(timeout.Token);
        var received = await reading;
        var seconds = clock.Elapsed.TotalSeconds;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        if (received != bytes)
        {
            throw new InvalidOperationException($"Received {received} of {bytes} bytes.");
        }

        return (bytes / Mega / seconds, allocated / (bytes / Mega));
    }

    /// <summary>The unary baseline: a socket pair bouncing <see cref="UnaryPayload"/> bytes back and forth.</summary>
    private static async Task<double> RawPingPongPerSecondAsync(int rounds, CancellationToken cancellationToken)
    {
        await using var pair = await LoopbackSockets.CreateAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StepTimeout);
        var token = timeout.Token;
        var echo = Task.Run(
            async () =>
            {
                var buffer = new byte[UnaryPayload];
                for (var i = 0; i < rounds; i++)
                {
                    await pair.Server.ReadExactlyAsync(buffer, token);
                    await pair.Server.WriteAsync(buffer, token);
                }
            },
            token);
        var message = new byte[UnaryPayload];
        var reply = new byte[UnaryPayload];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < rounds; i++)
        {
            await pair.Client.WriteAsync(message, token);
            await pair.Client.ReadExactlyAsync(reply, token);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await echo;
        return rounds / seconds;
    }

    private static Task WriteZerosAsync(Stream stream, long count, int writeSize, CancellationToken cancellationToken) =>
        PerfProtocol.WriteZerosAsync(stream, count, writeSize, cancellationToken);

    private static Task<long> DrainAsync(Stream stream, CancellationToken cancellationToken) =>
        PerfProtocol.DrainAsync(stream, long.MaxValue, cancellationToken);

    /// <summary>Two of our hosts (connected) and two js-libp2p peers (connected), reused by every run.</summary>
    private sealed class Nodes : IAsyncDisposable
    {
        private readonly Libp2pHost _client;
        private readonly Libp2pHost _server;
        private readonly UnaryCalls _unary;
        private readonly JsPeer _jsClient;
        private readonly JsPeer _jsServer;

        private Nodes(Libp2pHost client, Libp2pHost server, UnaryCalls unary, JsPeer jsClient, JsPeer jsServer)
        {
            _client = client;
            _server = server;
            _unary = unary;
            _jsClient = jsClient;
            _jsServer = jsServer;
        }

        private string ServerAddress => _server.ListenAddresses[0].WithPeerId(_server.PeerId).ToString();

        private string JsServerAddress => _jsServer.Addrs[0];

        public static async Task<Nodes> StartAsync(CancellationToken cancellationToken)
        {
            var client = await StartHostAsync(cancellationToken);
            var server = await StartHostAsync(cancellationToken);
            var unary = new UnaryCalls(client, NullLogger<UnaryCalls>.Instance);
            new UnaryCalls(server, NullLogger<UnaryCalls>.Instance).AddHandler(
                UnaryProtocol, static (request, _) => Task.FromResult(UnaryResult.Ok(request.Data)));
            var jsOptions = new JsPeerOptions { Kad = false, CommandTimeout = StepTimeout };
            var jsClient = await JsPeer.StartAsync(jsOptions, cancellationToken);
            var jsServer = await JsPeer.StartAsync(jsOptions, cancellationToken);
            var env = new Nodes(client, server, unary, jsClient, jsServer);
            await client.ConnectAsync(Multiaddr.Parse(env.ServerAddress), cancellationToken);
            await client.ConnectAsync(Multiaddr.Parse(env.JsServerAddress), cancellationToken);
            await jsClient.SendAsync("dial", new { addr = env.JsServerAddress }, cancellationToken);
            await jsClient.SendAsync("dial", new { addr = env.ServerAddress }, cancellationToken);
            return env;
        }

        public async Task<(double MegabytesPerSecond, double AllocatedPerMegabyte)> OursToOursAsync(long bytes, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var seconds = await PerfProtocol.RunClientAsync(_client, _server.PeerId, 0, bytes, timeout.Token);
            allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
            return (bytes / Mega / seconds, allocated / (bytes / Mega));
        }

        public async Task<double> OursToJsAsync(long bytes, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            var seconds = await PerfProtocol.RunClientAsync(_client, PeerId.Parse(_jsServer.PeerId), 0, bytes, timeout.Token);
            return bytes / Mega / seconds;
        }

        public Task<double> JsToJsAsync(long bytes, CancellationToken cancellationToken) => JsPerfAsync(JsServerAddress, bytes, cancellationToken);

        public Task<double> JsToOursAsync(long bytes, CancellationToken cancellationToken) => JsPerfAsync(ServerAddress, bytes, cancellationToken);

        /// <summary>1,000 streams opened at once, each echoing <see cref="BytesPerStream"/>; returns the seconds for all.</summary>
        public async Task<double> StreamsOursAsync(CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            var token = timeout.Token;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, ConcurrentStreams).Select(_ => EchoOneAsync(token)));
            return clock.Elapsed.TotalSeconds;
        }

        /// <summary>
        /// The same with js-libp2p's echo client and server (<see cref="JsConcurrentStreams"/> streams), on a fresh
        /// connection so that no stream of an earlier run still counts against js-yamux's limit (the dial is not timed).
        /// </summary>
        public async Task<double> StreamsJsAsync(CancellationToken cancellationToken)
        {
            await _jsClient.SendAsync("hangup", new { peerId = _jsServer.PeerId }, cancellationToken);
            var reply = await _jsClient.SendAsync(
                "echo", new { addr = JsServerAddress, streams = JsConcurrentStreams, bytes = BytesPerStream }, cancellationToken);
            return reply.GetProperty("seconds").GetDouble();
        }

        public async Task<double> UnaryCallsPerSecondAsync(int calls, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StepTimeout);
            var payload = RandomNumberGenerator.GetBytes(UnaryPayload);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < calls; i++)
            {
                var reply = await _unary.CallAsync(_server.PeerId, UnaryProtocol, payload, timeout.Token);
                if (reply.Length != UnaryPayload)
                {
                    throw new InvalidOperationException($"The unary echo returned {reply.Length} of {UnaryPayload} bytes.");
                }
            }

            return calls / clock.Elapsed.TotalSeconds;
        }

        public async ValueTask DisposeAsync()
        {
            await _jsClient.DisposeAsync();
            await _jsServer.DisposeAsync();
            await _client.DisposeAsync();
            await _server.DisposeAsync();
        }

        private static async Task<Libp2pHost> StartHostAsync(CancellationToken cancellationToken)
        {
            var options = new Libp2pHostOptions();
            options.Yamux.MaxInboundStreams = 4 * ConcurrentStreams;
            options.Yamux.MaxOutboundStreams = 4 * ConcurrentStreams;
            options.Yamux.AcceptBacklog = ConcurrentStreams;
            var host = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), options);
            PerfProtocol.Register(host);
            host.Protocols.Add(EchoProtocol, static async (stream, ct) =>
            {
                await stream.Stream.CopyToAsync(stream.Stream, ct);
                await stream.CompleteWritesAsync();
            });
            await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
            return host;
        }

        private async Task<double> JsPerfAsync(string address, long bytes, CancellationToken cancellationToken)
        {
            var reply = await _jsClient.SendAsync("perf", new { addr = address, upload = 0, download = bytes }, cancellationToken);
            return bytes / Mega / reply.GetProperty("seconds").GetDouble();
        }

        private async Task EchoOneAsync(CancellationToken cancellationToken)
        {
            await using var stream = await _client.OpenStreamAsync(_server.PeerId, [EchoProtocol], cancellationToken);
            var data = new byte[BytesPerStream];
            await stream.Stream.WriteAsync(data, cancellationToken);
            await stream.CompleteWritesAsync();
            var echoed = await DrainAsync(stream.Stream, cancellationToken);
            if (echoed != BytesPerStream)
            {
                throw new InvalidOperationException($"A stream echoed {echoed} of {BytesPerStream} bytes.");
            }
        }
    }
}
