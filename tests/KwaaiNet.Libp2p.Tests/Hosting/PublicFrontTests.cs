// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace KwaaiNet.Libp2p.Tests.Hosting;

public sealed class PublicFrontTests(PublicFrontFixture front) : IClassFixture<PublicFrontFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Map_OnPublicPort_ProxiesToMapAnnouncer()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await front.Public.GetAsync(new Uri("/map", UriKind.Relative), ct).WaitAsync(Bound, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PublicFrontFixture.MapBody, await response.Content.ReadAsStringAsync(ct));
    }

    [Fact]
    public async Task State_OnPublicPort_ProxiesToMapAnnouncer()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await front.Public.GetAsync(new Uri("/api/v1/state", UriKind.Relative), ct).WaitAsync(Bound, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PublicFrontFixture.StateBody, await response.Content.ReadAsStringAsync(ct));
    }

    [Theory]
    [InlineData("/health")]
    [InlineData("/alive")]
    [InlineData("/anything-else")]
    [InlineData("/map/extra")]
    public async Task InternalOrUnknownPath_OnPublicPort_Returns404(string path)
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await front.Public.GetAsync(new Uri(path, UriKind.Relative), ct).WaitAsync(Bound, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(PublicFrontFixture.BackendHealthBody, await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GrpcCall_OnPublicPort_Returns404()
    {
        var ct = TestContext.Current.CancellationToken;
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/kwaainet.gateway.v1.Gateway/Identity", UriKind.Relative))
        {
            // An empty IdentityRequest in gRPC's length-prefixed framing.
            Content = new ByteArrayContent([0, 0, 0, 0, 0]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");

        using var response = await front.Public.SendAsync(request, ct).WaitAsync(Bound, ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.False(response.Headers.Contains("grpc-status"));
        Assert.False(response.TrailingHeaders.Contains("grpc-status"));
    }

    [Fact]
    public async Task Health_OnInternalPort_Returns200()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await front.Internal.GetAsync(new Uri("/health", UriKind.Relative), ct).WaitAsync(Bound, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(body);
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task OpenAi_InferenceWorkerUnreachable_Returns503ProblemWithRetryAfter()
    {
        var ct = TestContext.Current.CancellationToken;

        using var response = await front.Public.GetAsync(new Uri("/v1/models", UriKind.Relative), ct).WaitAsync(Bound, ct);
        var body = await response.Content.ReadAsStringAsync(ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal(503, problem.RootElement.GetProperty("status").GetInt32());
        Assert.Contains("inference-worker", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
