// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// One GGUF metadata value: a scalar, a string, or an array. Arrays hold a typed .NET array (<c>byte[]</c>,
/// <c>sbyte[]</c>, <c>ushort[]</c>, <c>short[]</c>, <c>uint[]</c>, <c>int[]</c>, <c>float[]</c>, <c>bool[]</c>,
/// <c>string[]</c>, <c>ulong[]</c>, <c>long[]</c>, <c>double[]</c>), or <c>GgufValue[]</c> for arrays of arrays.
/// </summary>
public sealed class GgufValue
{
    private GgufValue(GgufValueType type, object value, GgufValueType elementType = GgufValueType.UInt8)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    /// <summary>The value's type.</summary>
    public GgufValueType Type { get; }

    /// <summary>For an array, the type of its elements; otherwise meaningless.</summary>
    public GgufValueType ElementType { get; }

    /// <summary>The boxed scalar, the string, or the typed array.</summary>
    public object Value { get; }

    /// <summary>For an array, its element count; otherwise 0.</summary>
    public int ArrayLength => Value is Array a ? a.Length : 0;

    /// <summary>A uint8.</summary>
    public static GgufValue FromUInt8(byte value) => new(GgufValueType.UInt8, value);

    /// <summary>An int8.</summary>
    public static GgufValue FromInt8(sbyte value) => new(GgufValueType.Int8, value);

    /// <summary>A uint16.</summary>
    public static GgufValue FromUInt16(ushort value) => new(GgufValueType.UInt16, value);

    /// <summary>An int16.</summary>
    public static GgufValue FromInt16(short value) => new(GgufValueType.Int16, value);

    /// <summary>A uint32.</summary>
    public static GgufValue FromUInt32(uint value) => new(GgufValueType.UInt32, value);

    /// <summary>An int32.</summary>
    public static GgufValue FromInt32(int value) => new(GgufValueType.Int32, value);

    /// <summary>A float32.</summary>
    public static GgufValue FromFloat32(float value) => new(GgufValueType.Float32, value);

    /// <summary>A bool.</summary>
    public static GgufValue FromBool(bool value) => new(GgufValueType.Bool, value);

    /// <summary>A string.</summary>
    public static GgufValue FromString(string value) => new(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A uint64.</summary>
    public static GgufValue FromUInt64(ulong value) => new(GgufValueType.UInt64, value);

    /// <summary>An int64.</summary>
    public static GgufValue FromInt64(long value) => new(GgufValueType.Int64, value);

    /// <summary>A float64.</summary>
    public static GgufValue FromFloat64(double value) => new(GgufValueType.Float64, value);

    /// <summary>An array of uint8.</summary>
    public static GgufValue FromArray(byte[] values) => Array(GgufValueType.UInt8, values);

    /// <summary>An array of int8.</summary>
    public static GgufValue FromArray(sbyte[] values) => Array(GgufValueType.Int8, values);

    /// <summary>An array of uint16.</summary>
    public static GgufValue FromArray(ushort[] values) => Array(GgufValueType.UInt16, values);

    /// <summary>An array of int16.</summary>
    public static GgufValue FromArray(short[] values) => Array(GgufValueType.Int16, values);

    /// <summary>An array of uint32.</summary>
    public static GgufValue FromArray(uint[] values) => Array(GgufValueType.UInt32, values);

    /// <summary>An array of int32.</summary>
    public static GgufValue FromArray(int[] values) => Array(GgufValueType.Int32, values);

    /// <summary>An array of float32.</summary>
    public static GgufValue FromArray(float[] values) => Array(GgufValueType.Float32, values);

    /// <summary>An array of bool.</summary>
    public static GgufValue FromArray(bool[] values) => Array(GgufValueType.Bool, values);

    /// <summary>An array of strings.</summary>
    public static GgufValue FromArray(string[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (System.Array.IndexOf(values, null) >= 0)
        {
            throw new ArgumentException("a GGUF string array cannot hold null", nameof(values));
        }

        return Array(GgufValueType.String, values);
    }

    /// <summary>An array of uint64.</summary>
    public static GgufValue FromArray(ulong[] values) => Array(GgufValueType.UInt64, values);

    /// <summary>An array of int64.</summary>
    public static GgufValue FromArray(long[] values) => Array(GgufValueType.Int64, values);

    /// <summary>An array of float64.</summary>
    public static GgufValue FromArray(double[] values) => Array(GgufValueType.Float64, values);

    /// <summary>An array of arrays; every element must itself be an array.</summary>
    public static GgufValue FromArray(GgufValue[] arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        foreach (var a in arrays)
        {
            if (a is null || a.Type != GgufValueType.Array)
            {
                throw new ArgumentException("every element of a GGUF array of arrays must be an array", nameof(arrays));
            }
        }

        return Array(GgufValueType.Array, arrays);
    }

    private static GgufValue Array(GgufValueType elementType, System.Array values) =>
        new(GgufValueType.Array, values ?? throw new ArgumentNullException(nameof(values)), elementType);

    /// <summary>The value as a string; throws <see cref="InvalidCastException"/> for another type.</summary>
    public string AsString() => Value as string ?? throw Mismatch("a string");

    /// <summary>The value as a bool.</summary>
    public bool AsBool() => Value is bool b ? b : throw Mismatch("a bool");

    /// <summary>A float32, or a float64 narrowed to float32.</summary>
    public float AsFloat32() => Value switch
    {
        float f => f,
        double d => (float)d,
        _ => throw Mismatch("a float"),
    };

    /// <summary>A float32 or float64 as a double.</summary>
    public double AsFloat64() => Value switch
    {
        float f => f,
        double d => d,
        _ => throw Mismatch("a float"),
    };

    /// <summary>Any integer type, checked to fit in <see cref="long"/>.</summary>
    public long AsInt64() => Value switch
    {
        byte or sbyte or ushort or short or uint or int or long => Convert.ToInt64(Value, CultureInfo.InvariantCulture),
        ulong u when u <= long.MaxValue => (long)u,
        ulong u => throw new InvalidCastException($"{u} does not fit in an int64"),
        _ => throw Mismatch("an integer"),
    };

    /// <summary>Any integer type, checked to fit in <see cref="uint"/>.</summary>
    public uint AsUInt32()
    {
        var v = Value is ulong u ? (u <= uint.MaxValue ? (long)u : -1) : AsInt64();
        return v is >= 0 and <= uint.MaxValue ? (uint)v : throw new InvalidCastException($"{Value} does not fit in a uint32");
    }

    /// <summary>Any integer type, checked to fit in <see cref="int"/>.</summary>
    public int AsInt32()
    {
        var v = AsInt64();
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new InvalidCastException($"{v} does not fit in an int32");
    }

    /// <summary>The elements of an array whose element type maps to <typeparamref name="T"/> (e.g. <c>string</c>, <c>float</c>, <c>int</c>).</summary>
    public T[] AsArray<T>() => Value as T[] ?? throw Mismatch($"an array of {typeof(T).Name}");

    /// <inheritdoc />
    public override string ToString() => Type == GgufValueType.Array
        ? $"array of {ArrayLength} {ElementType}"
        : Convert.ToString(Value, CultureInfo.InvariantCulture) ?? string.Empty;

    private InvalidCastException Mismatch(string expected) => new(Type == GgufValueType.Array
        ? $"the value is an array of {ElementType}, not {expected}"
        : $"the value is a {Type}, not {expected}");
}
