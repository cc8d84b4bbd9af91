// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Serving;
using KwaaiNet.Petals.Tests.Gateway;
using KwaaiNet.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Tests.Client;

/// <summary>
/// The Petals session on the wire, against a scripted <c>rpc_inference</c> peer over real libp2p: the requests it
/// writes, and what it makes of answers that are errors, of the wrong shape, missing, late or garbage.
/// </summary>
public sealed class PetalsSpanSessionTests
{
    private const int Hidden = 4;

    [Fact]
    public async Task Steps_WriteThePetalsRequest_AndCloseWithDoneAndEndOfStream()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await ScriptedPeer.StartAsync(AnswerAsync, ct);
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);
        using var source = new ActivitySource("KwaaiNet.Petals.Tests.Client");
        using var listener = new ActivityListener { ShouldListenTo = s => s == source, Sample = static (ref _) => ActivitySamplingResult.AllData };
        ActivitySource.AddActivityListener(listener);

        float[] first = [1, 2, 3, 4, 5, 6, 7, 8];
        await using (var session = await Factory(gateway).OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 2, 4), "tiny", 64, ct))
        {
            Assert.Equal(first.Select(static v => v * 2), await session.StepAsync(first, 2, 0, ct));
            using var activity = source.StartActivity("step");
            float[] second = [-2, 0, 2, 4];
            Assert.Equal(second, await session.StepAsync([-1, 0, 1, 2], 1, 2, ct));
            float[] zeros = [0, 0, 0, 0];
            Assert.Equal(zeros, await session.StepAsync(zeros, 1, 1, ct));
            Assert.NotNull(activity);
            peer.ExpectedTraceParent = activity.Id;
        }

        var frames = await peer.WaitForEndAsync(ct);
        var requests = frames.Where(static f => f.Kind == HivemindFrameKind.Message).Select(static f => f.ParseMessage(ExpertRequest.Parser)).ToList();
        Assert.Equal(4, requests.Count);
        Assert.All(requests.Take(3), static r => Assert.Equal("tiny.2 tiny.3", r.Uid));
        var metadata = requests.Take(3).Select(static r => RequestMetadataCodec.DecodeInference(r.Metadata.Span)).ToList();
        Assert.Equal([64, null, null], metadata.Select(static m => m.MaxLength));
        Assert.Equal([0.0, null, null], metadata.Select(static m => m.Points));
        Assert.Equal([0, 2, 1], metadata.Select(static m => m.StartFromPosition));
        Assert.All(metadata, static m => Assert.Equal([0, 1, 2], m.ArgsStructure!));
        Assert.Single(metadata.Select(static m => m.SessionId).Distinct());
        Assert.Equal(3, metadata.Select(static m => m.StepId).Distinct().Count());
        Assert.Null(metadata[0].TraceParent);
        Assert.Equal(peer.ExpectedTraceParent, metadata[1].TraceParent);
        var tensors = requests[0].Tensors.Select(TensorCodec.Deserialize).ToList();
        Assert.Equal([[1, 2, Hidden], [0], [0]], tensors.Select(static t => t.Shape));
        Assert.Equal(["float32", "float32", "int64"], tensors.Select(static t => t.DType));

        // Petals' close: an empty request ("done"), then END_OF_STREAM.
        Assert.Equal(new ExpertRequest(), requests[3]);
        Assert.Equal(HivemindFrameKind.Error, frames[^1].Kind);
        Assert.Equal(new RPCError(), frames[^1].ParseError());
    }

    [Fact]
    public async Task ErrorFrame_IsARemoteSpanExceptionWithItsText()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await ScriptedPeer.StartAsync(static (_, stream) => WriteErrorAsync(stream, "Maximum length exceeded: prefix 0 + current 2"), ct);
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);
        await using var session = await Factory(gateway).OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 0, 1), "tiny", 8, ct);

        var error = await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(new float[Hidden], 1, 0, ct));

        Assert.Contains("Maximum length exceeded: prefix 0 + current 2", error.Message, StringComparison.Ordinal);
        Assert.Contains(peer.PeerId.ToBase58(), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadAnswers_AreRemoteSpanExceptions_AndTheSessionStaysFailed()
    {
        var ct = TestContext.Current.CancellationToken;
        var wrongShape = new ExpertResponse { Tensors = { TensorCodec.Serialize([1, 2, Hidden], new float[2 * Hidden]) } };
        var notATensor = new ExpertResponse();
        Func<ExpertRequest, Stream, Task>[] scripts =
        [
            (_, stream) => HivemindFrameWriter.WriteMessageAsync(stream, wrongShape, CancellationToken.None).AsTask(),
            (_, stream) => HivemindFrameWriter.WriteMessageAsync(stream, notATensor, CancellationToken.None).AsTask(),
            static (_, stream) => stream.WriteAsync(new byte[] { 0x07, 0, 0, 0, 0, 0, 0, 0, 1, 0 }).AsTask(),
            static (_, stream) => stream.WriteAsync(new byte[] { 0x00, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff }).AsTask(),
            static (_, _) => Task.CompletedTask,
        ];
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        foreach (var script in scripts)
        {
            await using var peer = await ScriptedPeer.StartAsync(script, ct);
            await Host(gateway).ConnectAsync(peer.Address, ct);
            await using var session = await Factory(gateway).OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 0, 1), "tiny", 8, ct);

            await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(new float[Hidden], 1, 0, ct));
            var again = await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(new float[Hidden], 1, 0, ct));
            Assert.Contains("has failed before", again.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NoAnswerWithinTheRequestTimeout_IsARemoteSpanException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await ScriptedPeer.StartAsync(static (_, _) => Task.Delay(Timeout.Infinite, TestContext.Current.CancellationToken), ct);
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);
        var factory = Factory(gateway, new ClientOptions { RequestTimeout = TimeSpan.FromMilliseconds(300) });
        await using var session = await factory.OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 0, 1), "tiny", 8, ct);

        var error = await Assert.ThrowsAsync<RemoteSpanException>(() => session.StepAsync(new float[Hidden], 1, 0, ct));

        Assert.Contains("did not answer within", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Open_PeerWithoutTheHandler_IsARemoteSpanException()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await EchoPeer.StartAsync(ct);
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);

        await Assert.ThrowsAsync<RemoteSpanException>(() => Factory(gateway).OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 0, 1), "tiny", 8, ct));
    }

    [Fact]
    public async Task Step_BadArguments_Throw()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var peer = await ScriptedPeer.StartAsync(AnswerAsync, ct);
        await using var gateway = await GatewayNode.StartEmbeddedAsync(null, ct);
        await Host(gateway).ConnectAsync(peer.Address, ct);
        await using var session = await Factory(gateway).OpenAsync(new RouteSpan(peer.PeerId.ToBase58(), 0, 1), "tiny", 8, ct);

        await Assert.ThrowsAsync<ArgumentException>(() => session.StepAsync(new float[7], 2, 0, ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.StepAsync(new float[4], 0, 0, ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => session.StepAsync(new float[4], 1, -1, ct));
    }

    private static PetalsSpanSessionFactory Factory(ModuleHost gateway, ClientOptions? options = null) =>
        new(gateway.App.Services.GetRequiredService<INodeGateway>(), Options.Create(options ?? new ClientOptions()));

    private static Libp2pHost Host(ModuleHost node) => node.App.Services.GetRequiredService<ILocalLibp2pNode>().Host;

    /// <summary>Answers a step with its hidden states doubled, as float32 of the same shape.</summary>
    private static Task AnswerAsync(ExpertRequest request, Stream stream)
    {
        var hidden = TensorCodec.Deserialize(request.Tensors[0]);
        var doubled = TensorCodec.ToSingles(hidden).Select(static v => v * 2).ToArray();
        var response = new ExpertResponse { Tensors = { TensorCodec.Serialize(hidden.Shape, doubled) } };
        return HivemindFrameWriter.WriteMessageAsync(stream, response, CancellationToken.None).AsTask();
    }

    private static Task WriteErrorAsync(Stream stream, string text) => HivemindFrameWriter.WriteErrorAsync(stream, text, CancellationToken.None).AsTask();

    /// <summary>
    /// A bare libp2p host serving <c>rpc_inference</c> with a script: each request frame is recorded, and each request
    /// with tensors is answered by the script, which writes to the stream itself.
    /// </summary>
    private sealed class ScriptedPeer : IAsyncDisposable
    {
        private readonly TaskCompletionSource<List<HivemindFrame>> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private ScriptedPeer(Libp2pHost host) => Host = host;

        public Libp2pHost Host { get; }

        public PeerId PeerId => Host.PeerId;

        public Multiaddr Address => Host.ListenAddresses[0].WithPeerId(Host.PeerId);

        public string? ExpectedTraceParent { get; set; }

        public static async Task<ScriptedPeer> StartAsync(Func<ExpertRequest, Stream, Task> script, CancellationToken cancellationToken)
        {
            var host = new Libp2pHost(Libp2p.Identity.NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), NullLoggerFactory.Instance);
            var peer = new ScriptedPeer(host);
            host.Protocols.Add(PetalsProtocols.Inference, async (stream, token) =>
            {
                List<HivemindFrame> frames = [];
                try
                {
                    var reader = new HivemindFrameReader(stream.Stream);
                    while (await reader.ReadAsync(token) is { } frame)
                    {
                        frames.Add(frame);
                        if (frame.Kind == HivemindFrameKind.Error)
                        {
                            break;
                        }

                        var request = frame.ParseMessage(ExpertRequest.Parser);
                        if (request.Tensors.Count == 0)
                        {
                            continue;
                        }

                        await script(request, stream.Stream);

                        await stream.Stream.FlushAsync(token);
                    }
                }
                finally
                {
                    peer._ended.TrySetResult(frames);
                    await stream.CompleteWritesAsync();
                }
            });
            await host.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
            return peer;
        }

        public Task<List<HivemindFrame>> WaitForEndAsync(CancellationToken cancellationToken) => _ended.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);

        public ValueTask DisposeAsync() => Host.DisposeAsync();
    }
}
