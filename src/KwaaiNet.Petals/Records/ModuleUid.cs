// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Module keys: a block's DHT key is <c>{dht_prefix}.{block}</c> (petals <c>data_structures.py</c>
/// <c>UID_DELIMITER = "."</c>; upstream KwaaiNet <c>announce.rs</c> <c>format!("{}.{}", prefix, block)</c>;
/// docs/records.md §5). Petals' <c>parse_uid</c> splits on <c>.</c> and expects two parts, so a prefix has no
/// <c>.</c>; spans join uids with a space (<c>CHAIN_DELIMITER</c>), so it has no space either.
/// </summary>
public static class ModuleUid
{
    /// <summary>Between the prefix and the block number (<c>UID_DELIMITER</c>).</summary>
    public const char Delimiter = '.';

    /// <summary>Between the uids of a span (<c>CHAIN_DELIMITER</c>).</summary>
    public const char ChainDelimiter = ' ';

    /// <summary>True when <paramref name="dhtPrefix"/> can start a module key: not empty, no <c>.</c>, no space.</summary>
    public static bool IsValidPrefix([NotNullWhen(true)] string? dhtPrefix) =>
        !string.IsNullOrEmpty(dhtPrefix) && !dhtPrefix.Contains(Delimiter, StringComparison.Ordinal)
        && !dhtPrefix.Contains(ChainDelimiter, StringComparison.Ordinal);

    /// <summary>The key of block <paramref name="block"/> (0-based): <c>{dhtPrefix}.{block}</c>.</summary>
    /// <exception cref="ArgumentException"><paramref name="dhtPrefix"/> is not a valid prefix, or the block is negative.</exception>
    public static string Format(string dhtPrefix, int block)
    {
        ThrowIfInvalidPrefix(dhtPrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        return string.Create(CultureInfo.InvariantCulture, $"{dhtPrefix}{Delimiter}{block}");
    }

    /// <summary>The keys of blocks <paramref name="startBlock"/> up to <paramref name="endBlock"/> (exclusive), in order.</summary>
    /// <exception cref="ArgumentException">An invalid prefix, a negative start, or an end before the start.</exception>
    public static string[] ForSpan(string dhtPrefix, int startBlock, int endBlock)
    {
        ThrowIfInvalidPrefix(dhtPrefix);
        ArgumentOutOfRangeException.ThrowIfNegative(startBlock);
        ArgumentOutOfRangeException.ThrowIfLessThan(endBlock, startBlock);
        var uids = new string[endBlock - startBlock];
        for (var i = 0; i < uids.Length; i++)
        {
            uids[i] = Format(dhtPrefix, startBlock + i);
        }

        return uids;
    }

    /// <summary>
    /// Splits a module key into its prefix and block, as petals' <c>parse_uid</c> does: exactly one <c>.</c>, no space,
    /// a non-empty prefix and a non-negative decimal block number.
    /// </summary>
    public static bool TryParse(string? uid, [NotNullWhen(true)] out string? dhtPrefix, out int block)
    {
        dhtPrefix = null;
        block = 0;
        if (uid is null)
        {
            return false;
        }

        var dot = uid.IndexOf(Delimiter, StringComparison.Ordinal);
        if (dot <= 0 || uid.IndexOf(Delimiter, dot + 1) >= 0 || uid.Contains(ChainDelimiter, StringComparison.Ordinal))
        {
            return false;
        }

        if (!int.TryParse(uid.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out block))
        {
            block = 0;
            return false;
        }

        dhtPrefix = uid[..dot];
        return true;
    }

    private static void ThrowIfInvalidPrefix(string dhtPrefix)
    {
        if (!IsValidPrefix(dhtPrefix))
        {
            throw new ArgumentException($"'{dhtPrefix}' is not a dht prefix: it must be non-empty, without '.' or ' '.", nameof(dhtPrefix));
        }
    }
}
