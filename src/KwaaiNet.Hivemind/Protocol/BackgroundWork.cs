// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Microsoft.Extensions.Logging;

namespace KwaaiNet.Hivemind.Protocol;

/// <summary>
/// Fire-and-forget work of a DHT node (ping-backs, record hand-offs, cache pushes) that is still owned: failures are
/// logged, and disposal cancels what runs and waits for it, so nothing outlives the node.
/// </summary>
internal sealed class BackgroundWork(ILogger logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly HashSet<Task> _running = [];
    private readonly Lock _lock = new();
    private bool _disposed;

    public CancellationToken Stopping => _stopping.Token;

    public void Run(string what, Func<CancellationToken, Task> work)
    {
        Task task;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            task = Task.Run(() => RunGuardedAsync(what, work), CancellationToken.None);
            _running.Add(task);
        }

        _ = task.ContinueWith(t => Forget(t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        Task[] running;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            running = [.. _running];
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunGuardedAsync(string what, Func<CancellationToken, Task> work)
    {
        try
        {
            await work(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            logger.BackgroundWorkFailed(what, ex);
        }
    }

    private void Forget(Task task)
    {
        lock (_lock)
        {
            _running.Remove(task);
        }
    }
}
