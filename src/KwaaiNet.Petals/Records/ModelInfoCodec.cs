// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;
using KwaaiNet.Hivemind.Values;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Reads and writes a <see cref="ModelInfo"/> as the value bytes of a <c>_petals.models</c> entry: the msgpack map
/// <c>{"repository": str, "num_blocks": int}</c> in this order (upstream KwaaiNet <c>ModelInfo::to_msgpack</c>;
/// docs/records.md §4). Reading follows Petals' <c>ModelInfo.from_dict</c>, which is <c>cls(**source)</c>: the keys
/// may come in any order, <c>repository</c> may be absent or nil, <c>num_blocks</c> is a strict int of at least 1, and
/// any other key is an error.
/// </summary>
public static class ModelInfoCodec
{
    /// <summary>The longest value read: a ModelInfo is a few dozen bytes.</summary>
    public const int MaxValueBytes = 4_096;

    private const string RepositoryKey = "repository";
    private const string NumBlocksKey = "num_blocks";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The value bytes of <paramref name="info"/>: <c>repository</c> (when not null), then <c>num_blocks</c>.</summary>
    /// <exception cref="ArgumentException"><c>num_blocks</c> is outside 1 … <see cref="ServerInfoLimits.MaxBlock"/>, or
    /// the repository is longer than <see cref="ServerInfoLimits.MaxStringBytes"/> bytes: a reader would reject it.</exception>
    public static byte[] Encode(ModelInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (info.NumBlocks is < 1 or > ServerInfoLimits.MaxBlock)
        {
            throw new ArgumentException($"num_blocks {info.NumBlocks} is outside 1..{ServerInfoLimits.MaxBlock}.", nameof(info));
        }

        if (info.Repository is { } repository && Encoding.UTF8.GetByteCount(repository) > ServerInfoLimits.MaxStringBytes)
        {
            throw new ArgumentException($"The repository is longer than {ServerInfoLimits.MaxStringBytes} bytes.", nameof(info));
        }

        return DhtMsgPack.Write(w =>
        {
            w.WriteMapHeader(info.Repository is null ? 1 : 2);
            if (info.Repository is not null)
            {
                w.Write(RepositoryKey);
                w.Write(info.Repository);
            }

            w.Write(NumBlocksKey);
            w.Write((long)info.NumBlocks);
        });
    }

    /// <summary>Reads a <c>_petals.models</c> value.</summary>
    /// <exception cref="ModelInfoFormatException"><paramref name="value"/> is not a ModelInfo as docs/records.md §4
    /// describes it; the message names the field and the reason.</exception>
    public static ModelInfo Decode(ReadOnlySpan<byte> value)
    {
        if (value.Length > MaxValueBytes)
        {
            throw new ModelInfoFormatException($"ModelInfo: {value.Length} bytes, more than {MaxValueBytes}.");
        }

        try
        {
            return DecodeMap(value);
        }
        catch (DhtValueFormatException e)
        {
            throw new ModelInfoFormatException(e.Message, e);
        }
    }

    /// <summary>Reads a <c>_petals.models</c> value; false, with the reason in <paramref name="error"/>, when it is not one.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> value, out ModelInfo? info, out string? error)
    {
        try
        {
            info = Decode(value);
            error = null;
            return true;
        }
        catch (ModelInfoFormatException e)
        {
            info = null;
            error = e.Message;
            return false;
        }
    }

    private static ModelInfo DecodeMap(ReadOnlySpan<byte> value)
    {
        var reader = new MsgPackSpanReader(value);
        var count = reader.ReadMapHeader("ModelInfo");
        if (count > 2)
        {
            throw new ModelInfoFormatException($"ModelInfo: {count} entries; only repository and num_blocks are allowed.");
        }

        string? repository = null;
        int? numBlocks = null;
        var seenRepository = false;
        for (var i = 0; i < count; i++)
        {
            var name = ReadString(ref reader, "ModelInfo field name");
            switch (name)
            {
                case RepositoryKey when !seenRepository:
                    seenRepository = true;
                    repository = reader.TryReadNil() ? null : ReadString(ref reader, "ModelInfo field 'repository'");
                    break;
                case NumBlocksKey when numBlocks is null:
                    var blocks = reader.ReadInteger("ModelInfo field 'num_blocks'");
                    numBlocks = blocks is >= 1 and <= ServerInfoLimits.MaxBlock
                        ? (int)blocks
                        : throw new ModelInfoFormatException($"ModelInfo field 'num_blocks' is {blocks}, outside 1..{ServerInfoLimits.MaxBlock}.");
                    break;
                case RepositoryKey or NumBlocksKey:
                    throw new ModelInfoFormatException($"ModelInfo field '{name}' appears twice.");
                default:
                    throw new ModelInfoFormatException($"ModelInfo field '{(name.Length <= 64 ? name : name[..64] + "…")}' is unknown; Petals accepts only repository and num_blocks.");
            }
        }

        if (!reader.End)
        {
            throw new ModelInfoFormatException($"ModelInfo: {reader.Remaining} trailing bytes after the map.");
        }

        return numBlocks is { } n
            ? new ModelInfo(repository, n)
            : throw new ModelInfoFormatException("ModelInfo lacks num_blocks.");
    }

    private static string ReadString(ref MsgPackSpanReader reader, string where)
    {
        var bytes = reader.ReadStr(where);
        return bytes.Length <= ServerInfoLimits.MaxStringBytes
            ? StrictUtf8.GetString(bytes)
            : throw new ModelInfoFormatException($"{where}: a str of {bytes.Length} bytes, more than {ServerInfoLimits.MaxStringBytes}.");
    }
}
