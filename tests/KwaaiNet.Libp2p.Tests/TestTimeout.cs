// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Tests;

/// <summary>The test's cancellation token, cancelled after a bound so that a protocol bug fails the test instead of hanging the run.</summary>
internal static class TestTimeout
{
    /// <summary>A source linked to the test's token that cancels after <paramref name="after"/> (default 30 s).</summary>
    public static CancellationTokenSource Start(TimeSpan? after = null)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        source.CancelAfter(after ?? TimeSpan.FromSeconds(30));
        return source;
    }
}
