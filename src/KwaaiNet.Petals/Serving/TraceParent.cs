// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using System.Text;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// The W3C <c>traceparent</c> a client may put in a request's metadata map (Petals servers ignore unknown keys, so
/// our client can send it to any server), as the parent of the server's activity.
/// </summary>
internal static class TraceParent
{
    public const string Key = "traceparent";

    private const int MaxKeys = 64;
    private const int MaxDepth = 16;

    /// <summary>The parent context the metadata names; default when none, or when the metadata is unreadable.</summary>
    public static ActivityContext Read(ReadOnlySpan<byte> metadata)
    {
        if (metadata.IsEmpty)
        {
            return default;
        }

        try
        {
            var reader = new MsgPackSpanReader(metadata);
            var count = reader.ReadMapHeader("metadata");
            for (var i = 0; i < Math.Min(count, MaxKeys); i++)
            {
                var key = reader.ReadStr("metadata key");
                if (!key.SequenceEqual("traceparent"u8))
                {
                    _ = reader.ReadObject(MaxDepth, hashable: false, "metadata value");
                    continue;
                }

                if (reader.Peek(Key) is < 0xa0 or > 0xbf and not (0xd9 or 0xda or 0xdb))
                {
                    return default;
                }

                var text = Encoding.UTF8.GetString(reader.ReadStr(Key));
                return ActivityContext.TryParse(text, null, out var context) ? context : default;
            }
        }
        catch (FormatException)
        {
            // The metadata codec reports a malformed map; the trace is only a hint.
        }

        return default;
    }
}
