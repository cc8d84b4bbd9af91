// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Inference.OpenAi;

/// <summary>
/// Ends generated text at the first of a request's stop strings (OpenAI's <c>stop</c>), which is not part of the
/// output. Text that could be the start of a stop string is held back until the next piece shows whether it is.
/// </summary>
internal sealed class StopSequenceFilter(IReadOnlyList<string> stops)
{
    private string _pending = string.Empty;

    /// <summary>Whether a stop string was found; nothing more is emitted.</summary>
    public bool Stopped { get; private set; }

    /// <summary>Adds a piece of generated text and returns what may be emitted now.</summary>
    public string Push(string text)
    {
        if (Stopped)
        {
            return string.Empty;
        }

        if (stops.Count == 0)
        {
            return text;
        }

        _pending += text;
        var first = -1;
        foreach (var stop in stops)
        {
            var at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (first < 0 || at < first))
            {
                first = at;
            }
        }

        if (first >= 0)
        {
            Stopped = true;
            var before = _pending[..first];
            _pending = string.Empty;
            return before;
        }

        var hold = 0;
        foreach (var stop in stops)
        {
            for (var k = Math.Min(stop.Length - 1, _pending.Length); k > hold; k--)
            {
                if (_pending.AsSpan(_pending.Length - k).SequenceEqual(stop.AsSpan(0, k)))
                {
                    hold = k;
                    break;
                }
            }
        }

        var ready = _pending[..^hold];
        _pending = _pending[^hold..];
        return ready;
    }

    /// <summary>The text held back when the generation ended without a stop string.</summary>
    public string Flush()
    {
        var rest = Stopped ? string.Empty : _pending;
        _pending = string.Empty;
        return rest;
    }
}
