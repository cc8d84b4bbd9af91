// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;

namespace KwaaiNet.Inference.Sessions;

/// <summary>
/// Measures a span's decode speed the way upstream's <c>kwaainet benchmark</c> does: in one fresh session, a
/// one-token prefill, untimed warm-up steps, then timed single-token steps; the figure is timed steps per second.
/// The hidden states are seeded random values of unit scale (a span has no tokens of its own to embed).
/// </summary>
public static class SpanThroughputMeter
{
    /// <summary>Runs the measurement; its session is closed afterwards, also on failure.</summary>
    /// <param name="sessions">The span's session manager; the measurement reserves 1 + warm-up + steps tokens of its budget.</param>
    /// <param name="warmupSteps">Untimed steps after the prefill.</param>
    /// <param name="steps">Timed steps, at least 1.</param>
    /// <param name="cancellationToken">Stops the measurement.</param>
    /// <returns>Timed decode steps per second.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The step counts are negative or zero, or do not fit in one session.</exception>
    /// <exception cref="InferenceSessionException">The KV-cache budget has no room for the session.</exception>
    public static double MeasureDecode(SpanSessionManager sessions, int warmupSteps, int steps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var hidden = sessions.Model.Config.HiddenSize;
        var random = new Random(20_240_611);
        var state = new float[hidden];
        foreach (ref var value in state.AsSpan())
        {
            value = (2 * random.NextSingle()) - 1;
        }

        var session = sessions.Open(checked(1 + warmupSteps + steps));
        try
        {
            sessions.Step(session, state, 1, cancellationToken);
            for (var i = 0; i < warmupSteps; i++)
            {
                sessions.Step(session, state, 1, cancellationToken);
            }

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++)
            {
                sessions.Step(session, state, 1, cancellationToken);
            }

            return steps / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            sessions.Close(session);
        }
    }
}
