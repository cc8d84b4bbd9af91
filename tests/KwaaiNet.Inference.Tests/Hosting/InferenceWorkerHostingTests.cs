// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Core;
using KwaaiNet.Contracts.Inference.V1;
using KwaaiNet.Contracts.Node;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Runtime;
using KwaaiNet.Testing;
using InferenceClient = KwaaiNet.Contracts.Inference.V1.Inference.InferenceClient;

namespace KwaaiNet.Inference.Tests.Hosting;

public sealed class InferenceWorkerHostingTests
{
    [Theory]
    [InlineData("false", false)]
    [InlineData("true", true)]
    public async Task Info_CpuBuild_ListsCpuSelectedAndEchoesNodeSettings(string useGpu, bool expectedUseGpu)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(
            new Dictionary<string, string?>
            {
                ["KwaaiNet:Node:model"] = "llama3.1:8b",
                ["KwaaiNet:Node:use_gpu"] = useGpu,
                ["KwaaiNet:Node:start_block"] = "4",
                ["KwaaiNet:Node:blocks"] = "6",
            },
            ct);
        var client = new InferenceClient(host.Channel);

        var info = await client.InfoAsync(new InfoRequest(), cancellationToken: ct);

        Assert.Equal("Microsoft.ML.OnnxRuntime", info.Package);
        Assert.False(string.IsNullOrWhiteSpace(info.OnnxRuntimeVersion));
        var cpu = Assert.Single(info.ExecutionProviders, static p => p.Name == ExecutionProviders.Cpu);
        Assert.True(cpu.Available);
        Assert.True(cpu.Selected);
        Assert.Single(info.ExecutionProviders, static p => p.Selected);
        Assert.Equal(expectedUseGpu, info.UseGpu);
        Assert.Equal("llama3.1:8b", info.Model);
        Assert.Equal(4, info.StartBlock);
        Assert.Equal(10, info.EndBlock);
    }

    [Fact]
    public async Task Info_NoStartBlock_ReportsNoSpanAndDefaultModel()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null, ct);
        var client = new InferenceClient(host.Channel);

        var info = await client.InfoAsync(new InfoRequest(), cancellationToken: ct);

        Assert.Equal(NodeOptions.DefaultModel, info.Model);
        Assert.True(info.UseGpu);
        Assert.Equal(-1, info.StartBlock);
        Assert.Equal(-1, info.EndBlock);
    }

    [Fact]
    public async Task Forward_NotBuiltYet_ReturnsUnimplementedNamingIssue5()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null, ct);
        var client = new InferenceClient(host.Channel);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await client.ForwardAsync(new ForwardRequest { Uid = "llama.0" }, cancellationToken: ct));

        Assert.Equal(StatusCode.Unimplemented, error.StatusCode);
        Assert.Contains("issue #5", error.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_NotBuiltYet_Returns503ProblemNamingIssue7()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await StartAsync(null, ct);

        using var response = await host.Http.PostAsJsonAsync(
            new Uri("/v1/chat/completions", UriKind.Relative),
            new { model = "llama3.1:8b", messages = new[] { new { role = "user", content = "hi" } } },
            ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("issue #7", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static Task<ModuleHost> StartAsync(IReadOnlyDictionary<string, string?>? settings, CancellationToken cancellationToken) =>
        ModuleHost.StartAsync(static b => b.AddInferenceWorker(), static a => a.MapInferenceWorker(), settings, cancellationToken);
}
