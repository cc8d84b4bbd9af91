// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KwaaiNet.Petals.Trust;

/// <summary>
/// Writes a parsed JSON value as compact JSON the way serde_json's compact formatter does (upstream's
/// <c>to_compact_json</c> and <c>to_signing_bytes</c>): no whitespace, members in document order, numbers as written,
/// strings escaping only <c>"</c>, <c>\</c> and control characters (<c>\b \f \n \r \t</c>, else <c>\u00xx</c>),
/// everything else as raw UTF-8.
/// </summary>
internal static class CompactJson
{
    /// <summary>
    /// The compact form of <paramref name="element"/>; a top-level member named <paramref name="skipMember"/> is left out.
    /// </summary>
    /// <exception cref="InvalidOperationException">A string holds an unpaired surrogate escape.</exception>
    public static string Write(JsonElement element, string? skipMember = null)
    {
        var text = new StringBuilder();
        Append(text, element, skipMember);
        return text.ToString();
    }

    private static void Append(StringBuilder text, JsonElement element, string? skipMember)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                text.Append('{');
                var first = true;
                foreach (var member in element.EnumerateObject())
                {
                    if (skipMember is not null && member.NameEquals(skipMember))
                    {
                        continue;
                    }

                    if (!first)
                    {
                        text.Append(',');
                    }

                    first = false;
                    AppendString(text, member.Name);
                    text.Append(':');
                    Append(text, member.Value, null);
                }

                text.Append('}');
                break;
            case JsonValueKind.Array:
                text.Append('[');
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        text.Append(',');
                    }

                    Append(text, item, null);
                }

                text.Append(']');
                break;
            case JsonValueKind.String:
                AppendString(text, element.GetString()!);
                break;
            default:
                // Numbers as written; true, false and null.
                text.Append(element.GetRawText());
                break;
        }
    }

    private static void AppendString(StringBuilder text, string value)
    {
        text.Append('"');
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])))
            {
                throw new InvalidOperationException("A JSON string holds an unpaired surrogate.");
            }

            if (char.IsHighSurrogate(c))
            {
                text.Append(c).Append(value[++i]);
                continue;
            }

            _ = c switch
            {
                '"' => text.Append("\\\""),
                '\\' => text.Append("\\\\"),
                '\b' => text.Append("\\b"),
                '\f' => text.Append("\\f"),
                '\n' => text.Append("\\n"),
                '\r' => text.Append("\\r"),
                '\t' => text.Append("\\t"),
                < ' ' => text.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture)),
                _ => text.Append(c),
            };
        }

        text.Append('"');
    }
}
