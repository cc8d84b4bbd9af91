// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Petals.Records;
using ServedSpan = KwaaiNet.Inference.Serving.ServedSpan;

namespace KwaaiNet.Petals.Serving;

/// <summary>
/// Checks the block uids of a request against the served span (Petals' <c>_check_uids</c>, <c>server/handler.py</c>):
/// uids joined by single spaces, each under the model's KwaaiNet prefix or its Petals <c>-hf</c> prefix.
/// </summary>
internal static class SpanUids
{
    /// <summary>
    /// Accepts <paramref name="uids"/> when they name exactly the served blocks, in order. A Petals server runs any
    /// subset of its blocks, each a module of its own; ours runs the span as one graph with one KV cache, so a request
    /// for part of it is refused with Petals' "does not serve" text, naming what is served, and the client routes the
    /// rest elsewhere or asks for the whole span.
    /// </summary>
    /// <exception cref="PetalsRequestException">A uid that is not served, a gap, or a part of the span.</exception>
    public static void CheckSpan(ServedSpan span, string uids)
    {
        ArgumentNullException.ThrowIfNull(span);
        ArgumentNullException.ThrowIfNull(uids);
        var (kwaai, petals) = Prefixes(span);
        var parts = uids.Split(ModuleUid.ChainDelimiter);
        if (parts.Length > span.End - span.Start)
        {
            throw NotServed(uids, span, kwaai);
        }

        for (var i = 0; i < parts.Length; i++)
        {
            var block = Block(parts[i], kwaai, petals)
                ?? throw NotServed(parts[i], span, kwaai);
            if (block < span.Start || block >= span.End)
            {
                throw NotServed(parts[i], span, kwaai);
            }

            if (block != span.Start + i)
            {
                throw NotServed(
                    parts[i], span, kwaai, Invariant($"; the blocks of a request are the whole span [{span.Start}, {span.End}) in order"));
            }
        }

        if (parts.Length != span.End - span.Start)
        {
            throw NotServed(
                uids, span, kwaai, Invariant($"; the span [{span.Start}, {span.End}) runs as one, not in parts"));
        }
    }

    /// <summary>Accepts one uid of a served block (<c>rpc_info</c>); hivemind answers others with <c>KeyError(uid)</c>.</summary>
    /// <exception cref="PetalsRequestException">The uid is not a served block.</exception>
    public static int CheckBlock(ServedSpan span, string uid)
    {
        ArgumentNullException.ThrowIfNull(span);
        var (kwaai, petals) = Prefixes(span);
        return Block(uid, kwaai, petals) is { } block && block >= span.Start && block < span.End
            ? block
            : throw new PetalsRequestException("KeyError", uid);
    }

    /// <summary>The KwaaiNet prefix of the served model and its Petals variant.</summary>
    public static (string KwaaiNet, string Petals) Prefixes(ServedSpan span)
    {
        try
        {
            var kwaai = DhtPrefix.ForKwaaiNet(span.Model, span.DhtPrefix);
            return (kwaai, DhtPrefix.ForPetals(kwaai));
        }
        catch (ArgumentException ex)
        {
            throw new PetalsRequestException("Remote peer serves no valid dht prefix: " + ex.Message, ex);
        }
    }

    private static int? Block(string uid, string kwaai, string petals) =>
        ModuleUid.TryParse(uid, out var prefix, out var block) && (prefix == kwaai || prefix == petals) ? block : null;

    private static PetalsRequestException NotServed(string uid, ServedSpan span, string prefix, string detail = "") =>
        new("RuntimeError", Invariant($"Remote peer does not serve {uid} (it serves {prefix}.{span.Start} to {prefix}.{span.End - 1}{detail})"));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
