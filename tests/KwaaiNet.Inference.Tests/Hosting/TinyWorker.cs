// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Model;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.AspNetCore.Builder;
using InferenceClient = KwaaiNet.Contracts.Inference.V1.Inference.InferenceClient;

namespace KwaaiNet.Inference.Tests.Hosting;

/// <summary>
/// An inference-worker host serving a span of a generated tiny model: the GGUF file is written to
/// <c>{home}/models/tiny.gguf</c> and the worker resolves the model <c>tiny</c> there, as a node operator's would.
/// </summary>
internal sealed class TinyWorker : IAsyncDisposable
{
    public const string ModelName = "tiny";

    private TinyWorker(ModuleHost host, string home)
    {
        Host = host;
        Home = home;
        Client = new InferenceClient(host.Channel);
    }

    public ModuleHost Host { get; }

    public string Home { get; }

    public InferenceClient Client { get; }

    public static LlamaConfig Config => TinyLlamaGguf.Default;

    /// <summary>The model file of a worker home (written by <see cref="WriteModel"/>).</summary>
    public static string ModelPath(string home) => Path.Combine(home, "models", ModelName + GgufModelFolder.Extension);

    /// <summary>Writes the tiny model (seed 3) into <paramref name="home"/>'s models folder.</summary>
    public static string WriteModel(string home)
    {
        var path = ModelPath(home);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (!File.Exists(path))
        {
            TinyLlamaGguf.Write(path, GgmlType.F32, seed: 3, Config);
        }

        return path;
    }

    /// <summary>Starts a worker for blocks [start, start + blocks) of the tiny model in <paramref name="home"/>.</summary>
    public static async Task<TinyWorker> StartAsync(
        string home,
        int start,
        int blocks,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string?>? settings = null,
        Action<WebApplicationBuilder>? add = null,
        bool waitUntilReady = true)
    {
        WriteModel(home);
        var all = new Dictionary<string, string?>
        {
            ["KwaaiNet:Node:home"] = home,
            ["KwaaiNet:Node:model"] = ModelName,
            ["KwaaiNet:Node:use_gpu"] = "false",
            ["KwaaiNet:Node:start_block"] = start.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KwaaiNet:Node:blocks"] = blocks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["KwaaiNet:Inference:OllamaModels"] = Path.Combine(home, "no-ollama-store"),
            ["KwaaiNet:Inference:Threads"] = "1",
            ["KwaaiNet:Inference:ThroughputWarmupSteps"] = "1",
            ["KwaaiNet:Inference:ThroughputSteps"] = "3",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var host = await ModuleHost.StartAsync(
            b =>
            {
                b.AddInferenceWorker();
                add?.Invoke(b);
            },
            static a => a.MapInferenceWorker(),
            all,
            cancellationToken);
        var worker = new TinyWorker(host, home);
        if (waitUntilReady)
        {
            await worker.WaitForAsync(static info => info.State == ModelState.Ready, cancellationToken);
        }

        return worker;
    }

    /// <summary>Polls Info until <paramref name="done"/> holds (30 s at most).</summary>
    public Task<InfoResponse> WaitForAsync(Func<InfoResponse, bool> done, CancellationToken cancellationToken) =>
        Poll.UntilAsync(
            async ct => await Client.InfoAsync(new InfoRequest(), cancellationToken: ct),
            info => info.State == ModelState.Failed && !done(info)
                ? throw new InvalidOperationException($"the worker failed: {info.StateDetail}")
                : done(info),
            TimeSpan.FromSeconds(30),
            cancellationToken);

    /// <summary>A float32 tensor <c>[tokens, hidden]</c>.</summary>
    public static Tensor Float32Tensor(float[] values, int tokens)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return new Tensor { Dtype = "float32", Shape = { tokens, Config.HiddenSize }, Data = ByteString.CopyFrom(bytes) };
    }

    /// <summary>A float32 tensor's values.</summary>
    public static float[] Floats(Tensor tensor)
    {
        Assert.Equal("float32", tensor.Dtype);
        var values = new float[tensor.Data.Length / 4];
        Buffer.BlockCopy(tensor.Data.ToByteArray(), 0, values, 0, tensor.Data.Length);
        return values;
    }

    /// <summary>Runs one inference session of steps through the worker, returning each step's output.</summary>
    public async Task<List<float[]>> RunSessionAsync(int maxLength, IReadOnlyList<(float[] Values, int Tokens)> steps, CancellationToken cancellationToken)
    {
        using var call = Client.Inference(cancellationToken: cancellationToken);
        List<float[]> outputs = [];
        for (var i = 0; i < steps.Count; i++)
        {
            await call.RequestStream.WriteAsync(
                new InferenceRequest { MaxLength = i == 0 ? maxLength : 0, HiddenStates = Float32Tensor(steps[i].Values, steps[i].Tokens) },
                cancellationToken);
            Assert.True(await call.ResponseStream.MoveNext(cancellationToken));
            outputs.Add(Floats(call.ResponseStream.Current.HiddenStates));
        }

        await call.RequestStream.CompleteAsync();
        Assert.False(await call.ResponseStream.MoveNext(cancellationToken));
        return outputs;
    }

    /// <summary>The status of a call expected to fail.</summary>
    public static async Task<RpcException> FailsAsync(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
