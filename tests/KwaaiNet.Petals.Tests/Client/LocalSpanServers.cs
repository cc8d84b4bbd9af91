// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Inference.Generation;
using KwaaiNet.Inference.Gguf;
using KwaaiNet.Inference.Sessions;
using KwaaiNet.Petals.Client;
using KwaaiNet.Petals.Records;
using KwaaiNet.Testing.Inference;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Tests.Client;

/// <summary>
/// Servers in this process: each "peer" serves a span of one generated 6-layer model with a real
/// <see cref="SpanSessionManager"/> (real ONNX Runtime steps), behind <see cref="IRemoteSpanSession"/>. A server can be
/// told to fail (as a killed node would: every later call fails), and every step is recorded, so tests see the replay.
/// </summary>
internal sealed class LocalSpanServers : IRemoteSpanSessionFactory, IDisposable
{
    public const string Prefix = "tiny";
    public const int Layers = 6;

    private readonly string _folder = Directory.CreateTempSubdirectory("kwaainet-client-").FullName;
    private readonly Dictionary<string, (SpanModel Model, SpanSessionManager Sessions)> _servers = [];
    private readonly Lock _lock = new();
    private readonly List<StepRecord> _steps = [];
    private readonly HashSet<string> _dead = [];
    private readonly List<SpanModel> _models = [];

    public LocalSpanServers(params (string PeerId, int Start, int End)[] servers)
    {
        ModelPath = Path.Combine(_folder, "tiny.gguf");
        TinyLlamaGguf.Write(ModelPath, GgmlType.F32, seed: 5, TinyLlamaGguf.Default with { LayerCount = Layers });
        using var file = GgufFile.Open(ModelPath);
        var weights = new GgufLlamaWeights(file);
        foreach (var (peer, start, end) in servers)
        {
            var model = new SpanModel(weights, start, end);
            _models.Add(model);
            _servers[peer] = (model, NewManager(model));
        }

        Whole = new SpanModel(weights, 0, Layers);
        _models.Add(Whole);
        Client = new LlamaClientModel(weights);
        Spans = [.. servers.Select(static s => new ServerSpanInfo(s.PeerId, s.Start, s.End, 100, 300, null, new Dictionary<string, double>(), ServerState.Online))];
    }

    public SpanProtocol Protocol => SpanProtocol.Petals;

    public string ModelPath { get; }

    /// <summary>Every layer in one span, for the single-process reference.</summary>
    public SpanModel Whole { get; }

    /// <summary>The embedding and head, for the single-process reference.</summary>
    public LlamaClientModel Client { get; }

    /// <summary>The servers as the DHT would list them.</summary>
    public IReadOnlyList<ServerSpanInfo> Spans { get; }

    /// <summary>Decides, before each step, whether the server fails it: (peer, its session's step number from 0) → fail.</summary>
    public Func<string, int, bool>? FailStep { get; set; }

    /// <summary>Peers that refuse to open sessions.</summary>
    public HashSet<string> RefuseOpen { get; } = [];

    public IReadOnlyList<StepRecord> Steps
    {
        get
        {
            lock (_lock)
            {
                return [.. _steps];
            }
        }
    }

    public int OpenSessions => _servers.Values.Sum(static s => s.Sessions.OpenSessionCount);

    public static SpanSessionManager NewManager(SpanModel model) =>
        new(model, Options.Create(new SpanSessionOptions { IdleTimeout = Timeout.InfiniteTimeSpan }), TimeProvider.System);

    /// <summary>Kills a server: every later open or step on it fails.</summary>
    public void Kill(string peerId)
    {
        lock (_lock)
        {
            _dead.Add(peerId);
        }
    }

    public Task<IRemoteSpanSession> OpenAsync(RouteSpan span, string dhtPrefix, int maxLength, CancellationToken cancellationToken)
    {
        Assert.Equal(Prefix, dhtPrefix);
        lock (_lock)
        {
            if (_dead.Contains(span.PeerId) || RefuseOpen.Contains(span.PeerId))
            {
                throw new RemoteSpanException($"{span.PeerId} cannot be reached");
            }
        }

        var (model, sessions) = _servers[span.PeerId];
        Assert.Equal((model.Start, model.End), (span.Start, span.End));
        return Task.FromResult<IRemoteSpanSession>(new Session(this, span, sessions, sessions.Open(maxLength)));
    }

    public void Dispose()
    {
        foreach (var (_, sessions) in _servers.Values)
        {
            sessions.Dispose();
        }

        foreach (var model in _models)
        {
            model.Dispose();
        }

        Client.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still mapped; the temp folder is cleaned by the system.
        }
    }

    /// <summary>One step a server took (or refused).</summary>
    public sealed record StepRecord(string PeerId, long Session, int Position, int Tokens, bool Failed);

    private sealed class Session(LocalSpanServers servers, RouteSpan span, SpanSessionManager manager, SpanSession session) : IRemoteSpanSession
    {
        private int _steps;

        public RouteSpan Span { get; } = span;

        public Task<float[]> StepAsync(float[] hiddenStates, int tokens, int position, CancellationToken cancellationToken)
        {
            bool fail;
            lock (servers._lock)
            {
                fail = servers._dead.Contains(Span.PeerId) || servers.FailStep?.Invoke(Span.PeerId, _steps) == true;
                servers._steps.Add(new StepRecord(Span.PeerId, session.Id, position, tokens, fail));
            }

            _steps++;
            if (fail)
            {
                throw new RemoteSpanException($"{Span.PeerId} failed the step");
            }

            if (position > session.Length)
            {
                throw new RemoteSpanException($"position {position} is past the session's {session.Length} tokens");
            }

            if (position < session.Length)
            {
                manager.Rewind(session, position);
            }

            return Task.FromResult(manager.Step(session, hiddenStates, tokens, cancellationToken));
        }

        public ValueTask DisposeAsync()
        {
            manager.Close(session);
            return ValueTask.CompletedTask;
        }
    }
}
