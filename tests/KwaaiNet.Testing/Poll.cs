// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Testing;

/// <summary>Bounded polling for state that settles asynchronously (a bus delivery, a health check turning healthy).</summary>
public static class Poll
{
    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="isDone"/> accepts its result, and returns that result.
    /// Throws <see cref="TimeoutException"/> naming the last result when <paramref name="timeout"/> passes first.
    /// </summary>
    public static Task<T> UntilAsync<T>(
        Func<CancellationToken, Task<T>> probe,
        Func<T, bool> isDone,
        TimeSpan timeout,
        CancellationToken cancellationToken) =>
        UntilAsync(probe, isDone, timeout, DefaultInterval, cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds, for at most <paramref name="timeout"/> (default 10 s).</summary>
    public static Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return UntilAsync(_ => Task.FromResult(condition()), static done => done, timeout ?? TimeSpan.FromSeconds(10), DefaultInterval, cancellationToken);
    }

    /// <summary>As above, probing every <paramref name="interval"/> (for probes that are costly, or state that changes slowly).</summary>
    public static async Task<T> UntilAsync<T>(
        Func<CancellationToken, Task<T>> probe,
        Func<T, bool> isDone,
        TimeSpan timeout,
        TimeSpan interval,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(isDone);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var last = default(T);
        try
        {
            return await LoopAsync(deadline.Token).WaitAsync(timeout, cancellationToken);
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"The condition did not hold within {timeout}; the last result was: {last?.ToString() ?? "none"}", ex);
        }

        async Task<T> LoopAsync(CancellationToken token)
        {
            while (true)
            {
                last = await probe(token);
                if (isDone(last))
                {
                    return last;
                }

                await Task.Delay(interval, token);
            }
        }
    }
}
