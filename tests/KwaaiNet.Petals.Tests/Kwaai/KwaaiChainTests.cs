// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Serving;
using KwaaiNet.Libp2p.Hosting;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Petals.Kwaai;
using KwaaiNet.Petals.Tests.Gateway;
using KwaaiNet.Testing;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Petals.Tests.Kwaai;

/// <summary>A chain of three nodes over <c>/kwaai/inference/1.0.0</c>, each serving one block, against one span of all three.</summary>
public sealed class KwaaiChainTests
{
    [Fact]
    public async Task Forward_ThroughThreeNodes_EqualsOneSpanOfEveryBlock()
    {
        var ct = TestContext.Current.CancellationToken;
        var folder = Path.Combine(Path.GetTempPath(), "kwaainet-kwaai-chain-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "tiny.gguf");
        var config = TinyLlamaGguf.Default with { LayerCount = 3 };
        TinyLlamaGguf.Write(path, GgmlType.F32, seed: 17, config);
        List<ModuleHost> hosts = [];
        try
        {
            List<string> chain = [];
            var coordinator = await GatewayNode.StartGatewayAsync(ct);
            hosts.Add(coordinator);
            KwaaiInferenceClient? client = null;
            for (var block = 0; block < 3; block++)
            {
                var node = await KwaaiServerFixture.StartServerAsync(path, folder, block, 1, ct);
                hosts.Add(node);
                await ReadyAsync(node, ct);
                var local = node.App.Services.GetRequiredService<ILocalLibp2pNode>();
                var peer = local.Host.PeerId.ToBase58();
                client = await KwaaiServerFixture.ConnectAsync(coordinator, Multiaddr.Parse($"{local.Host.ListenAddresses[0]}/p2p/{peer}"), ct);
                chain.Add(peer);
            }

            var whole = await KwaaiServerFixture.StartServerAsync(path, folder, 0, 3, ct);
            hosts.Add(whole);
            var reference = await ReadyAsync(whole, ct);
            var steps = new[] { (Tokens: 4, Seed: 1), (Tokens: 1, Seed: 2), (Tokens: 1, Seed: 3) };
            var session = reference.Sessions.Open(16);
            var position = 0u;
            foreach (var (tokens, seed) in steps)
            {
                var input = Input(tokens * config.HiddenSize, seed);
                var hidden = input;
                foreach (var peer in chain)
                {
                    hidden = await client!.ForwardAsync(peer, 0xc0ffee, position, hidden, tokens, ct);
                }

                var expected = reference.Sessions.Step(session, input, tokens, ct);
                AssertClose(expected, hidden);
                position += (uint)tokens;
            }

            reference.Sessions.Close(session);
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A model file still mapped by a worker that is shutting down; the temp folder is cleaned by the system.
            }
        }
    }

    private static async Task<ServedSpan> ReadyAsync(ModuleHost host, CancellationToken cancellationToken)
    {
        var spans = host.App.Services.GetRequiredService<IServedSpanProvider>();
        await Poll.UntilAsync(() => spans.Current is not null, cancellationToken, TimeSpan.FromSeconds(60));
        return spans.Current!;
    }

    private static float[] Input(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return KwaaiInferenceCodec.DecodeFloat16(KwaaiInferenceCodec.EncodeFloat16(values));
    }

    /// <summary>Equal within the f16 rounding of two hops between the three nodes.</summary>
    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = 1e-2f * MathF.Max(1f, MathF.Abs(expected[i]));
            Assert.True(MathF.Abs(expected[i] - actual[i]) <= tolerance, $"value {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
