// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using KwaaiNet.Hivemind.Values;
using Libp2pPeerId = KwaaiNet.Libp2p.Identity.PeerId;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Reads the server entries under a block key <c>{prefix}.{block}</c> (docs/records.md §3) as a strict reader does: the
/// subkey a base58 peer id (a msgpack str, or a bin holding one), the value a <c>ServerInfo</c> with
/// <c>start_block</c> and <c>end_block</c>, its span inside the model and holding the block it is announced under. The
/// network map and the client's routing read records with it.
/// </summary>
public static class ServerRecordReader
{
    private const int MaxShownChars = 64;

    /// <summary>
    /// Reads one entry of block <paramref name="block"/> of a model with <paramref name="numBlocks"/> blocks. On failure
    /// <paramref name="subkey"/> and <paramref name="peerId"/> say what the entry was keyed by (as far as it could be
    /// read, shortened for logs) and <paramref name="reason"/> why it was refused.
    /// </summary>
    public static bool TryRead(
        DhtDictionaryEntry entry,
        int block,
        int numBlocks,
        [NotNullWhen(true)] out ServerRecord? record,
        out string subkey,
        out string peerId,
        out string reason)
    {
        ArgumentNullException.ThrowIfNull(entry);
        record = null;
        subkey = string.Empty;
        peerId = string.Empty;
        reason = string.Empty;
        if (SubkeyText(entry.Subkey.Span) is not { } text)
        {
            var kind = KindOf(entry.Subkey.Span);
            subkey = kind;
            reason = $"the subkey is a msgpack {kind}, expected a str peer id";
            return false;
        }

        if (!Libp2pPeerId.TryParse(text, out var peer))
        {
            subkey = peerId = Shown(text);
            reason = $"the subkey '{subkey}' is not a base58 peer id";
            return false;
        }

        subkey = peerId = peer.ToBase58();
        ServerInfo info;
        try
        {
            info = ServerInfoCodec.Decode(entry.Value.Span);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            // ServerInfoFormatException for a value out of shape; ArgumentException (DecoderFallbackException) for bad UTF-8.
            reason = ex.Message;
            return false;
        }

        if (info is not { StartBlock: { } start, EndBlock: { } end })
        {
            reason = "the ServerInfo lacks start_block or end_block";
            return false;
        }

        if (end > numBlocks)
        {
            reason = $"span [{start}, {end}) is outside the model's {numBlocks} blocks";
            return false;
        }

        if (block < start || block >= end)
        {
            reason = $"announced under a block outside its span [{start}, {end})";
            return false;
        }

        record = new ServerRecord(peerId, info);
        return true;
    }

    /// <summary>
    /// The text of a subkey: a msgpack str, or (as upstream's crawler also accepts, research kwaainet-upstream.md
    /// §4.6) a msgpack bin whose bytes are a msgpack str; null for anything else.
    /// </summary>
    public static string? SubkeyText(ReadOnlySpan<byte> subkey)
    {
        if (DhtMsgPack.TryReadStr(subkey) is { } text)
        {
            return text;
        }

        if (subkey.IsEmpty || subkey[0] is not (0xc4 or 0xc5 or 0xc6))
        {
            return null;
        }

        try
        {
            var reader = new MsgPackSpanReader(subkey);
            var inner = reader.ReadBin("subkey");
            return reader.End ? DhtMsgPack.TryReadStr(inner) : null;
        }
        catch (DhtValueFormatException)
        {
            return null;
        }
    }

    /// <summary>The msgpack kind of a subkey, for messages.</summary>
    public static string KindOf(ReadOnlySpan<byte> subkey) => subkey.IsEmpty ? "empty" : MsgPackSpanReader.KindOf(subkey[0]);

    /// <summary>A text cut to 64 characters for logs.</summary>
    public static string Shown(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= MaxShownChars ? text : string.Concat(text.AsSpan(0, MaxShownChars), "…");
    }
}
