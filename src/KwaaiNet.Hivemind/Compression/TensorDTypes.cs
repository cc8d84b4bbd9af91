// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Compression;

/// <summary>The dtype names hivemind puts in <c>Tensor.dtype</c> (torch's names without <c>torch.</c>) and their element sizes.</summary>
public static class TensorDTypes
{
    /// <summary>32-bit IEEE float.</summary>
    public const string Float32Name = "float32";

    /// <summary>16-bit IEEE float.</summary>
    public const string Float16Name = "float16";

    /// <summary>bfloat16: the upper half of a float32.</summary>
    public const string BFloat16Name = "bfloat16";

    /// <summary>64-bit IEEE float.</summary>
    public const string Float64Name = "float64";

    /// <summary>Signed 64-bit integer.</summary>
    public const string Int64Name = "int64";

    /// <summary>Signed 32-bit integer.</summary>
    public const string Int32Name = "int32";

    /// <summary>Signed 16-bit integer.</summary>
    public const string Int16Name = "int16";

    /// <summary>Signed 8-bit integer.</summary>
    public const string Int8Name = "int8";

    /// <summary>Unsigned 8-bit integer.</summary>
    public const string UInt8Name = "uint8";

    /// <summary>Boolean, one byte per element.</summary>
    public const string BoolName = "bool";

    /// <summary>The size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The dtype name.</param>
    /// <returns>The element size.</returns>
    /// <exception cref="FormatException">The dtype is not one of the supported names.</exception>
    public static int ItemSize(string dtype) => dtype switch
    {
        Float64Name or Int64Name => 8,
        Float32Name or Int32Name => 4,
        Float16Name or BFloat16Name or Int16Name => 2,
        Int8Name or UInt8Name or BoolName => 1,
        _ => throw new FormatException($"Unsupported tensor dtype '{dtype}'."),
    };

    /// <summary>Whether <paramref name="dtype"/> is a floating-point dtype (float32, float16, bfloat16, float64).</summary>
    /// <param name="dtype">The dtype name.</param>
    /// <returns><see langword="true"/> for a floating-point dtype.</returns>
    public static bool IsFloat(string dtype) => dtype is Float32Name or Float16Name or BFloat16Name or Float64Name;
}
