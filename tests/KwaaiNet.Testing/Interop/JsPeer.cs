// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KwaaiNet.Testing.Interop;

/// <summary>
/// A js-libp2p peer (<c>tests/interop/peer.mjs</c>, an independent libp2p implementation) in a child process, driven
/// with JSON lines over stdin/stdout. The command set is in <c>tests/interop/README.md</c>. Requires
/// <c>npm ci --prefix tests/interop</c> (done by <c>.ci/run</c>).
/// </summary>
public sealed class JsPeer : IAsyncDisposable
{
    private const int MaxStderrChars = 16 * 1024;
    private const int MaxKeptEvents = 10_000;
    private static readonly TimeSpan ReplyGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(3);
    private static readonly JsonSerializerOptions ArgsJson = new(JsonSerializerDefaults.Web);

    private readonly Process _process;
    private readonly JsPeerOptions _options;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _eventsLock = new();
    private readonly List<JsonElement> _events = [];
    private readonly Lock _stderrLock = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<JsonElement> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _eventsChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _stdoutPump = Task.CompletedTask;
    private Task _stderrPump = Task.CompletedTask;
    private int _nextId;
    private int _disposed;
    private volatile string? _exitReason;

    private JsPeer(Process process, JsPeerOptions options)
    {
        _process = process;
        _options = options;
    }

    /// <summary>The peer's id (<c>12D3KooW…</c> for Ed25519, <c>Qm…</c> for RSA).</summary>
    public string PeerId { get; private set; } = string.Empty;

    /// <summary>The listen addresses, each ending in <c>/p2p/&lt;PeerId&gt;</c>.</summary>
    public IReadOnlyList<string> Addrs { get; private set; } = [];

    /// <summary>The protocols the peer handles.</summary>
    public IReadOnlyList<string> Protocols { get; private set; } = [];

    /// <summary>The last 16 KiB the peer wrote to stderr.</summary>
    public string StderrTail
    {
        get
        {
            lock (_stderrLock)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Finds the repository root: the folder above the test binaries that holds <c>KwaaiNet.Aspire.sln</c>.</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KwaaiNet.Aspire.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} contains KwaaiNet.Aspire.sln.");
    }

    /// <summary>Starts a peer and waits for its ready line.</summary>
    /// <exception cref="InvalidOperationException">The harness is not installed, or the peer failed to start.</exception>
    public static async Task<JsPeer> StartAsync(JsPeerOptions? options, CancellationToken cancellationToken)
    {
        options ??= new JsPeerOptions();
        var harness = Path.Combine(FindRepositoryRoot(), "tests", "interop");
        if (!Directory.Exists(Path.Combine(harness, "node_modules")))
        {
            throw new InvalidOperationException(
                $"The js-libp2p harness is not installed ({harness}/node_modules is missing): run `npm ci --prefix tests/interop` in the repository root.");
        }

        var start = new ProcessStartInfo(options.NodeExecutable)
        {
            WorkingDirectory = harness,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
        };
        foreach (var arg in BuildArguments(options))
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException(
                $"Could not run '{options.NodeExecutable}' (Node.js 20.19 or later is required; on Debian: apt-get install nodejs npm).", ex);
        }

        var peer = new JsPeer(process, options);
        peer._stdoutPump = peer.PumpStdoutAsync();
        peer._stderrPump = peer.PumpStderrAsync();
        try
        {
            var ready = await peer._ready.Task.WaitAsync(options.StartTimeout, cancellationToken).ConfigureAwait(false);
            peer.PeerId = ready.GetProperty("peerId").GetString() ?? string.Empty;
            peer.Addrs = [.. ready.GetProperty("addrs").EnumerateArray().Select(static a => a.GetString() ?? string.Empty)];
            peer.Protocols = [.. ready.GetProperty("protocols").EnumerateArray().Select(static p => p.GetString() ?? string.Empty)];
            return peer;
        }
        catch (Exception ex)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            if (ex is TimeoutException)
            {
                throw new InvalidOperationException(
                    $"The js peer did not report ready within {options.StartTimeout}.{peer.FormatStderr()}", ex);
            }

            throw;
        }
    }

    /// <summary>Sends a command with the default timeout (<see cref="JsPeerOptions.CommandTimeout"/>).</summary>
    public Task<JsonElement> SendAsync(string cmd, object? args, CancellationToken cancellationToken) =>
        SendAsync(cmd, args, _options.CommandTimeout, cancellationToken);

    /// <summary>
    /// Sends <c>{"id":N,"cmd":cmd,"timeoutMs":…,…args}</c> and returns the reply (the whole object, <c>ok</c>
    /// included). The peer aborts the command after <paramref name="timeout"/>; this waits a little longer for it.
    /// </summary>
    /// <exception cref="JsPeerCommandException">The peer answered <c>ok:false</c>.</exception>
    /// <exception cref="TimeoutException">No reply came in time.</exception>
    /// <exception cref="InvalidOperationException">The peer exited.</exception>
    public async Task<JsonElement> SendAsync(string cmd, object? args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(cmd);
        JsonObject message = args is null ? [] : JsonSerializer.SerializeToNode(args, ArgsJson) as JsonObject
            ?? throw new ArgumentException("Command arguments must serialize to a JSON object.", nameof(args));
        var id = Interlocked.Increment(ref _nextId);
        message["id"] = id;
        message["cmd"] = cmd;
        message["timeoutMs"] ??= (long)Math.Ceiling(timeout.TotalMilliseconds);
        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            ThrowIfExited();
            await WriteLineAsync(message.ToJsonString(), cancellationToken).ConfigureAwait(false);
            JsonElement result;
            try
            {
                result = await reply.Task.WaitAsync(timeout + ReplyGrace, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"js peer command '{cmd}' got no reply within {timeout + ReplyGrace}.{FormatStderr()}", ex);
            }

            if (!result.TryGetProperty("ok", out var ok) || ok.ValueKind != JsonValueKind.True)
            {
                var error = result.TryGetProperty("error", out var e) ? e.ToString() : result.ToString();
                throw new JsPeerCommandException(cmd, error, StderrTail);
            }

            return result;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>
    /// Waits for the first event named <paramref name="name"/> (and accepted by <paramref name="match"/>) that no
    /// earlier call returned, including events that arrived before this call. Bound it with the token.
    /// </summary>
    public async Task<JsonElement> WaitForEventAsync(string name, Func<JsonElement, bool>? match, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        while (true)
        {
            Task changed;
            lock (_eventsLock)
            {
                for (var i = 0; i < _events.Count; i++)
                {
                    var evt = _events[i];
                    if (evt.TryGetProperty("event", out var n) && n.ValueEquals(name) && (match is null || match(evt)))
                    {
                        _events.RemoveAt(i);
                        return evt;
                    }
                }

                changed = _eventsChanged.Task;
            }

            ThrowIfExited();
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The events received and not yet returned by <see cref="WaitForEventAsync"/>, oldest first.</summary>
    public IReadOnlyList<JsonElement> PendingEvents()
    {
        lock (_eventsLock)
        {
            return [.. _events];
        }
    }

    /// <summary>Sends <c>stop</c>, closes stdin, waits briefly, then kills the process tree if it is still running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                using var stopTimeout = new CancellationTokenSource(StopGrace);
                try
                {
                    await WriteLineAsync("{\"cmd\":\"stop\"}", stopTimeout.Token).ConfigureAwait(false);
                    _process.StandardInput.Close();
                    await _process.WaitForExitAsync(stopTimeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // The peer is gone or hangs; the kill below settles it.
                }
            }
        }
        finally
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(StopGrace).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or Win32Exception)
                {
                    // Exited between the check and the kill, or could not be reaped: nothing more to do.
                }
            }

            await Task.WhenAll(_stdoutPump, _stderrPump).WaitAsync(StopGrace).ConfigureAwait(false);
            _process.Dispose();
            _writeLock.Dispose();
        }
    }

    private static List<string> BuildArguments(JsPeerOptions options)
    {
        List<string> args = ["--import", "./polyfill.mjs", "peer.mjs"];
        if (options.Seed is not null)
        {
            args.AddRange(["--seed", options.Seed]);
        }

        if (options.Rsa)
        {
            args.Add("--rsa");
        }

        foreach (var listen in options.Listen)
        {
            args.AddRange(["--listen", listen]);
        }

        if (!options.Kad)
        {
            args.Add("--no-kad");
        }

        return args;
    }

    private async Task WriteLineAsync(string line, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _process.StandardInput.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The js peer no longer reads commands.{FormatStderr()}", ex);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task PumpStdoutAsync()
    {
        try
        {
            while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                Dispatch(line);
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            _exitReason = string.Create(CultureInfo.InvariantCulture, $"The js peer exited with code {_process.ExitCode}.");
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            _exitReason = "The js peer's stdout failed: " + ex.Message;
        }

        var exited = new InvalidOperationException(_exitReason + FormatStderr());
        _ready.TrySetException(exited);
        foreach (var pending in _pending.Values)
        {
            pending.TrySetException(exited);
        }

        lock (_eventsLock)
        {
            _eventsChanged.TrySetResult();
        }
    }

    private void Dispatch(string line)
    {
        JsonElement message;
        try
        {
            using var document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            AppendStderr("(stdout, not JSON) " + line);
            return;
        }

        if (message.ValueKind != JsonValueKind.Object)
        {
            AppendStderr("(stdout, not an object) " + line);
            return;
        }

        if (message.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number)
        {
            if (id.TryGetInt32(out var n) && _pending.TryGetValue(n, out var reply))
            {
                reply.TrySetResult(message);
            }

            return;
        }

        if (message.TryGetProperty("event", out var name) && name.ValueEquals("ready"))
        {
            _ready.TrySetResult(message);
            return;
        }

        if (message.TryGetProperty("id", out _))
        {
            // {"id":null,"ok":false}: a line the peer could not parse; only a driver bug sends one.
            AppendStderr("(stdout) " + line);
            return;
        }

        lock (_eventsLock)
        {
            if (_events.Count == MaxKeptEvents)
            {
                _events.RemoveAt(0);
            }

            _events.Add(message);
            var changed = _eventsChanged;
            _eventsChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changed.TrySetResult();
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                AppendStderr(line);
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The process is gone; what was read is kept.
        }
    }

    private void AppendStderr(string line)
    {
        lock (_stderrLock)
        {
            _stderr.Append(line).Append('\n');
            if (_stderr.Length > MaxStderrChars)
            {
                _stderr.Remove(0, _stderr.Length - MaxStderrChars);
            }
        }
    }

    private string FormatStderr()
    {
        var tail = StderrTail;
        return tail.Length == 0 ? string.Empty : $"{Environment.NewLine}js peer stderr (tail):{Environment.NewLine}{tail}";
    }

    private void ThrowIfExited()
    {
        if (_exitReason is { } reason)
        {
            throw new InvalidOperationException(reason + FormatStderr());
        }
    }
}
