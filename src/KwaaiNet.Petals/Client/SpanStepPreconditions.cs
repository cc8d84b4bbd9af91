// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Petals.Client;

/// <summary>What every <see cref="IRemoteSpanSession.StepAsync"/> checks before it sends a step, whatever its protocol.</summary>
internal static class SpanStepPreconditions
{
    /// <summary>Refuses bad arguments, a disposed session and one that has failed before.</summary>
    /// <exception cref="ArgumentException">The hidden states are empty or not <paramref name="tokens"/> rows of one size.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than one token, or a negative position.</exception>
    /// <exception cref="ObjectDisposedException">The session is disposed.</exception>
    /// <exception cref="RemoteSpanException">The session failed before: it is not stepped again.</exception>
    public static void Check(IRemoteSpanSession session, float[] hiddenStates, int tokens, int position, bool disposed, bool broken)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        ObjectDisposedException.ThrowIf(disposed, session);
        if (hiddenStates.Length == 0 || hiddenStates.Length % tokens != 0)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{hiddenStates.Length} values are not {tokens} hidden states of one size"), nameof(hiddenStates));
        }

        if (broken)
        {
            var span = session.Span;
            throw new RemoteSpanException(
                string.Create(CultureInfo.InvariantCulture, $"The session on {span.PeerId} for blocks [{span.Start}, {span.End}) has failed before."));
        }
    }
}
