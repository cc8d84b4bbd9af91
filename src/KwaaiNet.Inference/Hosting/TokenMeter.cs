// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.Hosting;

/// <summary>Counts the tokens the worker runs, between two <c>TokensProcessed</c> reports. Thread-safe.</summary>
internal sealed class TokenMeter
{
    private long _tokens;
    private long _steps;
    private long _generated;

    /// <summary>One forward pass or inference step of <paramref name="tokens"/> tokens.</summary>
    public void AddStep(int tokens)
    {
        Interlocked.Add(ref _tokens, tokens);
        Interlocked.Increment(ref _steps);
    }

    /// <summary>One token sampled by Generate.</summary>
    public void AddGenerated() => Interlocked.Increment(ref _generated);

    /// <summary>The counts since the last call, resetting them.</summary>
    public (long Tokens, long Steps, long Generated) Take() =>
        (Interlocked.Exchange(ref _tokens, 0), Interlocked.Exchange(ref _steps, 0), Interlocked.Exchange(ref _generated, 0));
}
