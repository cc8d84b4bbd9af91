// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inbound.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Libp2p.Tests.Hosting;

/// <summary>
/// A service that implements <c>InboundHandler</c> on a real HTTP/2 port, as dht or the inference worker do: unary
/// calls echo their data (or fail on "fail"), streams echo their bytes.
/// </summary>
internal sealed class InboundTestService : IAsyncDisposable
{
    private InboundTestService(WebApplication app, Recorder recorder)
    {
        App = app;
        Calls = recorder.Calls;
    }

    public WebApplication App { get; }

    public Uri Address => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    /// <summary>The unary calls received, in order.</summary>
    public ConcurrentQueue<HandleUnaryRequest> Calls { get; }

    public static async Task<InboundTestService> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(static k => k.Listen(System.Net.IPAddress.Loopback, 0, static l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        var recorder = new Recorder();
        builder.Services.AddSingleton(recorder);
        var app = builder.Build();
        app.MapGrpcService<Handler>();
        await app.StartAsync(cancellationToken);
        return new InboundTestService(app, recorder);
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }

    internal sealed class Recorder
    {
        public ConcurrentQueue<HandleUnaryRequest> Calls { get; } = new();
    }

    private sealed class Handler(Recorder recorder) : InboundHandler.InboundHandlerBase
    {
        public override Task<HandleUnaryResponse> HandleUnary(HandleUnaryRequest request, ServerCallContext context)
        {
            recorder.Calls.Enqueue(request);
            return Task.FromResult(request.Data.Span.SequenceEqual("fail"u8)
                ? new HandleUnaryResponse { Error = "ValueError('fail')" }
                : new HandleUnaryResponse { Data = ByteString.CopyFromUtf8(request.Protocol + ":" + request.Data.ToStringUtf8()) });
        }

        public override async Task HandleStream(IAsyncStreamReader<InboundFrame> requestStream, IServerStreamWriter<InboundFrame> responseStream, ServerCallContext context)
        {
            await foreach (var frame in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (frame.FrameCase == InboundFrame.FrameOneofCase.Data)
                {
                    await responseStream.WriteAsync(frame, context.CancellationToken);
                }
                else if (frame.FrameCase == InboundFrame.FrameOneofCase.Close)
                {
                    await responseStream.WriteAsync(frame, context.CancellationToken);
                    return;
                }
            }
        }
    }
}
