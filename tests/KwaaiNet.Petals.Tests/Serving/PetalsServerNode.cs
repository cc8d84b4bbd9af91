// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using Google.Protobuf;
using KwaaiNet.Hivemind.Compression;
using KwaaiNet.Hivemind.Protos;
using KwaaiNet.Hivemind.Streams;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Peers;
using KwaaiNet.Libp2p.Protocols;
using KwaaiNet.Petals.Hosting;
using KwaaiNet.Petals.Protocol;
using KwaaiNet.Petals.Serving;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ServedSpan = KwaaiNet.Inference.Serving.ServedSpan;

namespace KwaaiNet.Petals.Tests.Serving;

/// <summary>
/// A worker node serving blocks [1, 3) of a 4-layer tiny model with the p2p-gateway in the same process (the embedded
/// node's shape), and a plain libp2p peer that calls it as a Petals client does.
/// </summary>
internal sealed class PetalsServerNode : IAsyncDisposable
{
    public const string Model = "tiny";
    public const int Start = 1;
    public const int End = 3;

    private readonly string _folder;

    private PetalsServerNode(ModuleHost host, Libp2pHost client, string folder)
    {
        Host = host;
        Client = client;
        _folder = folder;
        var local = host.App.Services.GetRequiredService<ILocalLibp2pNode>();
        ServerPeer = local.Host.PeerId;
        ServerAddress = local.Host.ListenAddresses[0];
        Unary = new UnaryCalls(client, NullLogger<UnaryCalls>.Instance);
    }

    public ModuleHost Host { get; }

    public Libp2pHost Client { get; }

    public UnaryCalls Unary { get; }

    public PeerId ServerPeer { get; }

    public Multiaddr ServerAddress { get; }

    public static int HiddenSize => TinyLlamaGguf.Default.HiddenSize;

    /// <summary>The uids of the served span under the KwaaiNet prefix.</summary>
    public static string SpanUids => "tiny.1 tiny.2";

    public ServedSpan Span => Host.App.Services.GetRequiredService<IServedSpanProvider>().Current!;

    public TransformerConnectionHandler Handler => Host.App.Services.GetRequiredService<TransformerConnectionHandler>();

    public static async Task<PetalsServerNode> StartAsync(CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "kwaainet-petals-server-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, Model + ".gguf");
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 7, TinyLlamaGguf.Default with { LayerCount = 4 });
        var settings = new Dictionary<string, string?>
        {
            ["KwaaiNet:Node:model"] = Model,
            ["KwaaiNet:Node:use_gpu"] = "false",
            ["KwaaiNet:Node:start_block"] = Start.ToString(CultureInfo.InvariantCulture),
            ["KwaaiNet:Node:blocks"] = (End - Start).ToString(CultureInfo.InvariantCulture),
            ["KwaaiNet:Inference:ModelPath"] = path,
            ["KwaaiNet:Inference:Threads"] = "1",
            ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
            ["KwaaiNet:Inference:ThroughputSteps"] = "2",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var host = await ModuleHost.StartAsync(
            static b =>
            {
                b.AddP2PGateway();
                b.AddInferenceWorker();
                b.AddPetalsServer();
            },
            static a =>
            {
                a.MapP2PGateway();
                a.MapInferenceWorker();
                a.MapPetalsServer();
            },
            settings,
            cancellationToken);
        var spans = host.App.Services.GetRequiredService<IServedSpanProvider>();
        await Poll.UntilAsync(
            _ => Task.FromResult(spans.Current is not null),
            static ready => ready,
            TimeSpan.FromSeconds(60),
            cancellationToken);
        var client = new Libp2pHost(NodeIdentity.GenerateEd25519(), new PeerStore(TimeProvider.System), new Libp2pHostOptions(), NullLoggerFactory.Instance);
        await client.StartAsync([Multiaddr.Parse("/ip4/127.0.0.1/tcp/0")], cancellationToken);
        var node = new PetalsServerNode(host, client, folder);
        await client.ConnectAsync(node.ServerAddress.WithPeerId(node.ServerPeer), cancellationToken);
        return node;
    }

    public Task<PeerStream> OpenAsync(string protocol, CancellationToken cancellationToken) =>
        Client.OpenStreamAsync(ServerPeer, [protocol], cancellationToken);

    /// <summary>A float32 hidden-states tensor <c>[1, tokens, hidden]</c>.</summary>
    public static Tensor Hidden(float[] values, string dtype = "float32", CompressionType compression = CompressionType.None) =>
        TensorCodec.Serialize([1, values.Length / HiddenSize, HiddenSize], values, dtype, compression);

    /// <summary>Deterministic hidden states for <paramref name="tokens"/> tokens.</summary>
    public static float[] Values(int tokens, int seed)
    {
        var random = new Random(seed);
        var values = new float[tokens * HiddenSize];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return values;
    }

    public static Tensor Dummy => new() { Size = { 0 }, Dtype = "float32" };

    public static Tensor DummyInt64 => new() { Size = { 0 }, Dtype = "int64" };

    /// <summary>An inference step as the Petals client sends it: hidden states, DUMMY prompts, DUMMY hypo ids.</summary>
    public static ExpertRequest Step(Tensor hidden, InferenceMetadata metadata, string? uids = null) => new()
    {
        Uid = uids ?? SpanUids,
        Tensors = { hidden, Dummy, DummyInt64 },
        Metadata = ByteString.CopyFrom(RequestMetadataCodec.Encode(metadata with { ArgsStructure = [0, 1, 2] })),
    };

    /// <summary>The first step's metadata.</summary>
    public static InferenceMetadata First(string session, string step, int maxLength = 32) =>
        new() { SessionId = session, StepId = step, MaxLength = maxLength, Points = 0, StartFromPosition = 0 };

    /// <summary>A later step's metadata.</summary>
    public static InferenceMetadata Next(string session, string step, int? startFrom = null) =>
        new() { SessionId = session, StepId = step, StartFromPosition = startFrom };

    public static ValueTask SendAsync(PeerStream stream, ExpertRequest request, CancellationToken cancellationToken) =>
        HivemindFrameWriter.WriteMessageAsync(stream.Stream, request, cancellationToken);

    /// <summary>The client's goodbye: an empty request, then END_OF_STREAM.</summary>
    public static async Task EndAsync(PeerStream stream, CancellationToken cancellationToken)
    {
        await HivemindFrameWriter.WriteMessageAsync(stream.Stream, new ExpertRequest(), cancellationToken);
        await HivemindFrameWriter.WriteEndOfStreamAsync(stream.Stream, cancellationToken);
    }

    /// <summary>Reads the next frame, which must be a response, and returns its one tensor's values.</summary>
    public static async Task<(Tensor Tensor, float[] Values)> ReceiveAsync(HivemindFrameReader reader, CancellationToken cancellationToken)
    {
        var frame = await reader.ReadAsync(cancellationToken);
        Assert.NotNull(frame);
        Assert.True(frame.Kind == HivemindFrameKind.Message, frame.Kind == HivemindFrameKind.Error ? frame.ParseError().Message : "");
        var response = frame.ParseMessage(ExpertResponse.Parser);
        var tensor = Assert.Single(response.Tensors);
        return (tensor, TensorCodec.ToSingles(TensorCodec.Deserialize(tensor)));
    }

    /// <summary>Reads the next frame, which must be an error frame, then the end of the stream; returns the error text.</summary>
    public static async Task<string> ReceiveErrorAsync(HivemindFrameReader reader, CancellationToken cancellationToken)
    {
        var frame = await reader.ReadAsync(cancellationToken);
        Assert.NotNull(frame);
        Assert.Equal(HivemindFrameKind.Error, frame.Kind);
        var message = frame.ParseError();
        Assert.True(message.HasMessage);
        Assert.Null(await reader.ReadAsync(cancellationToken));
        return message.Message;
    }

    /// <summary>Runs <paramref name="steps"/> through a session of the span directly, as reference outputs.</summary>
    public float[][] Reference(int maxLength, params float[][] steps)
    {
        var sessions = Span.Sessions;
        var session = sessions.Open(maxLength);
        try
        {
            return [.. steps.Select(step => sessions.Step(session, step, step.Length / HiddenSize, TestContext.Current.CancellationToken))];
        }
        finally
        {
            sessions.Close(session);
        }
    }

    /// <summary>Waits until every session is closed and its cache freed.</summary>
    public Task WaitForNoSessionsAsync(CancellationToken cancellationToken) =>
        Poll.UntilAsync(
            _ => Task.FromResult(Span.Sessions.OpenSessionCount + Handler.OpenSessionCount),
            static open => open == 0,
            TimeSpan.FromSeconds(10),
            cancellationToken);

    public static void Close(float[] expected, float[] actual, float tolerance = 1e-5f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Host.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // The model file is still mapped by a worker shutting down; the temp folder is cleaned by the system.
        }
    }
}
