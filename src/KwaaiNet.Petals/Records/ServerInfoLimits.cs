// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Records;

/// <summary>
/// Bounds on what <see cref="ServerInfoCodec"/> accepts, so that a hostile value costs a bounded amount of memory and
/// work (docs/records.md §3). They are far above anything Petals or KwaaiNet writes: a ServerInfo is a few hundred
/// bytes, a credential a few kilobytes.
/// </summary>
public static class ServerInfoLimits
{
    /// <summary>The largest encoded value: hivemind's value bound here (<c>DhtValueLimits.MaxValueBytes</c>).</summary>
    public const int MaxValueBytes = 65_536;

    /// <summary>The most entries in the field map.</summary>
    public const int MaxFields = 64;

    /// <summary>The longest str field, field name, adapter name or <c>next_pings</c> key, in UTF-8 bytes.</summary>
    public const int MaxStringBytes = 1_024;

    /// <summary>The most entries in <c>adapters</c>.</summary>
    public const int MaxAdapters = 64;

    /// <summary>The most entries in <c>next_pings</c>.</summary>
    public const int MaxNextPings = 256;

    /// <summary>The most entries in <c>trust_attestations</c>.</summary>
    public const int MaxTrustAttestations = 8;

    /// <summary>The longest credential in <c>trust_attestations</c>, in UTF-8 bytes.</summary>
    public const int MaxTrustAttestationBytes = 16_384;

    /// <summary>The largest block number (<c>end_block</c> is exclusive, so a span ends at most here).</summary>
    public const int MaxBlock = 65_536;

    /// <summary>How deeply arrays, maps and tuples may nest inside an unknown field (a scalar is depth 1).</summary>
    public const int MaxUnknownFieldDepth = 8;

    /// <summary>The longest carbon <c>source</c>, in UTF-8 bytes.</summary>
    public const int MaxCarbonSourceBytes = 64;
}
