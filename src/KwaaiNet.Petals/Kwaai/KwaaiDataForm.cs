// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Kwaai;

/// <summary>How the encoder writes the <c>data</c> field (the decoder reads both).</summary>
public enum KwaaiDataForm
{
    /// <summary>
    /// A msgpack array of one int per byte, as upstream writes it: <c>data</c> is a <c>Vec&lt;u8&gt;</c> without
    /// <c>serde_bytes</c>, which rmp-serde 1.3.1 (BytesMode::Normal) serializes as a sequence. The default.
    /// </summary>
    IntegerArray,

    /// <summary>A msgpack bin; half the size, and rmp-serde 1.3.1 reads it into a <c>Vec&lt;u8&gt;</c> too.</summary>
    Bin,
}
