// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Inbound.V1;
using KwaaiNet.Inference.Hosting;
using KwaaiNet.Inference.Scaling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace KwaaiNet.Libp2p.Tests.Hosting;

/// <summary>
/// A worker-like service on a real HTTP/2 port that registers in a Redis worker pool the way an inference-worker does
/// (<see cref="WorkerRegistryHostingExtensions.AddWorkerRegistry"/>) and serves <c>InboundHandler</c> with sessions held
/// in memory: unary <c>open:S</c> opens session S of the caller, <c>step:S</c> steps it (or fails with "unknown
/// session" on a worker that never saw it); a stream is a session whose lines are echoed as <c>{worker}:{line}</c>.
/// </summary>
internal sealed class PoolWorkerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private PoolWorkerHost(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public static async Task<PoolWorkerHost> StartAsync(string name, string pool, string redis, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(static k => k.Listen(System.Net.IPAddress.Loopback, 0, static l => l.Protocols = HttpProtocols.Http2));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis,
            ["KwaaiNet:Inference:Registry:Pool"] = pool,
            ["KwaaiNet:Inference:Registry:WorkerId"] = name,
            ["KwaaiNet:Inference:Registry:RefreshPeriod"] = "00:00:00.200",
            ["KwaaiNet:Inference:Registry:Ttl"] = "00:00:02",
        });
        var book = new SessionBook(name);
        builder.Services.AddSingleton(book);
        builder.Services.AddSingleton<IWorkerSessionCount>(book);
        builder.Services.AddGrpc();
        builder.AddWorkerRegistry();
        var app = builder.Build();
        app.MapGrpcService<Handler>();
        await app.StartAsync(cancellationToken);
        return new PoolWorkerHost(app, name);
    }

    /// <summary>Stops the worker the way a shutdown does (it leaves the pool).</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }

    internal sealed class SessionBook(string name) : IWorkerSessionCount
    {
        private int _streams;

        public string Name { get; } = name;

        /// <summary>Unary sessions by caller peer and session id, with their step count.</summary>
        public ConcurrentDictionary<(string Peer, string Session), int> Unary { get; } = new();

        public int OpenSessions => Unary.Count + Volatile.Read(ref _streams);

        public void StreamOpened() => Interlocked.Increment(ref _streams);

        public void StreamClosed() => Interlocked.Decrement(ref _streams);
    }

    private sealed class Handler(SessionBook book) : InboundHandler.InboundHandlerBase
    {
        public override Task<HandleUnaryResponse> HandleUnary(HandleUnaryRequest request, ServerCallContext context)
        {
            var text = request.Data.ToStringUtf8();
            var (verb, session) = text.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 ? (text[..colon], text[(colon + 1)..]) : (text, string.Empty);
            var key = (request.RemotePeerId, session);
            if (verb == "open")
            {
                book.Unary[key] = 0;
                return Task.FromResult(Reply($"{book.Name}:{session}:opened"));
            }

            if (verb == "step" && book.Unary.TryGetValue(key, out var steps))
            {
                book.Unary[key] = steps + 1;
                return Task.FromResult(Reply($"{book.Name}:{session}:{steps + 1}"));
            }

            return Task.FromResult(new HandleUnaryResponse { Error = $"{book.Name}: unknown session {session}" });
        }

        public override async Task HandleStream(IAsyncStreamReader<InboundFrame> requestStream, IServerStreamWriter<InboundFrame> responseStream, ServerCallContext context)
        {
            book.StreamOpened();
            try
            {
                var pending = new StringBuilder();
                await foreach (var frame in requestStream.ReadAllAsync(context.CancellationToken))
                {
                    if (frame.FrameCase == InboundFrame.FrameOneofCase.Data)
                    {
                        pending.Append(frame.Data.ToStringUtf8());
                        var text = pending.ToString();
                        var end = text.LastIndexOf('\n');
                        if (end < 0)
                        {
                            continue;
                        }

                        pending.Clear().Append(text[(end + 1)..]);
                        var replies = new StringBuilder();
                        foreach (var line in text[..end].Split('\n'))
                        {
                            replies.Append(book.Name).Append(':').Append(line).Append('\n');
                        }

                        await responseStream.WriteAsync(new InboundFrame { Data = ByteString.CopyFromUtf8(replies.ToString()) }, context.CancellationToken);
                    }
                    else if (frame.FrameCase == InboundFrame.FrameOneofCase.Close)
                    {
                        await responseStream.WriteAsync(frame, context.CancellationToken);
                        return;
                    }
                }
            }
            finally
            {
                book.StreamClosed();
            }
        }

        private static HandleUnaryResponse Reply(string text) => new() { Data = ByteString.CopyFromUtf8(text) };
    }
}
