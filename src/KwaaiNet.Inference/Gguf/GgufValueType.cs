// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;

namespace KwaaiNet.Inference.Gguf;

/// <summary>The type of a GGUF metadata value, by its id in the file.</summary>
[SuppressMessage("Naming", "CA1720:Identifiers should not contain type names", Justification = "The GGUF specification names its value types after the primitive types.")]
public enum GgufValueType : uint
{
    /// <summary>uint8.</summary>
    UInt8 = 0,

    /// <summary>int8.</summary>
    Int8 = 1,

    /// <summary>uint16.</summary>
    UInt16 = 2,

    /// <summary>int16.</summary>
    Int16 = 3,

    /// <summary>uint32.</summary>
    UInt32 = 4,

    /// <summary>int32.</summary>
    Int32 = 5,

    /// <summary>float32.</summary>
    Float32 = 6,

    /// <summary>One byte, 0 or 1.</summary>
    Bool = 7,

    /// <summary>uint64 length, then UTF-8 bytes without a terminator.</summary>
    String = 8,

    /// <summary>uint32 element type, uint64 count, then the elements.</summary>
    Array = 9,

    /// <summary>uint64.</summary>
    UInt64 = 10,

    /// <summary>int64.</summary>
    Int64 = 11,

    /// <summary>float64.</summary>
    Float64 = 12,
}
