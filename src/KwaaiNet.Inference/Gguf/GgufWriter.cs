// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Text;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// Builds a GGUF version 3 file in memory: typed metadata and tensors (from fp32, encoded to a chosen type, or raw
/// blocks), then writes the header, padding and aligned tensor data in one pass. Used for test models and benchmarks.
/// </summary>
public sealed class GgufWriter
{
    private readonly List<KeyValuePair<string, GgufValue>> _metadata = [];
    private readonly List<(string Name, ulong[] Dimensions, GgmlType Type, byte[] Data)> _tensors = [];
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>Creates a writer; an alignment other than 32 is recorded as <c>general.alignment</c>.</summary>
    public GgufWriter(int alignment = GgufFile.DefaultAlignment)
    {
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "the alignment must be a power of two");
        }

        Alignment = alignment;
        if (alignment != GgufFile.DefaultAlignment)
        {
            Add("general.alignment", GgufValue.FromUInt32((uint)alignment));
        }
    }

    /// <summary>The alignment of tensor data.</summary>
    public int Alignment { get; }

    /// <summary>Adds a metadata value; keys are unique.</summary>
    public GgufWriter Add(string key, GgufValue value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_keys.Add(key))
        {
            throw new ArgumentException($"metadata key '{key}' was already added", nameof(key));
        }

        _metadata.Add(new(key, value));
        return this;
    }

    /// <summary>Adds a string.</summary>
    public GgufWriter AddString(string key, string value) => Add(key, GgufValue.FromString(value));

    /// <summary>Adds a uint32.</summary>
    public GgufWriter AddUInt32(string key, uint value) => Add(key, GgufValue.FromUInt32(value));

    /// <summary>Adds an int32.</summary>
    public GgufWriter AddInt32(string key, int value) => Add(key, GgufValue.FromInt32(value));

    /// <summary>Adds a float32.</summary>
    public GgufWriter AddFloat32(string key, float value) => Add(key, GgufValue.FromFloat32(value));

    /// <summary>Adds a bool.</summary>
    public GgufWriter AddBool(string key, bool value) => Add(key, GgufValue.FromBool(value));

    /// <summary>Adds an array of strings.</summary>
    public GgufWriter AddStringArray(string key, string[] values) => Add(key, GgufValue.FromArray(values));

    /// <summary>Adds an array of float32.</summary>
    public GgufWriter AddFloat32Array(string key, float[] values) => Add(key, GgufValue.FromArray(values));

    /// <summary>Adds an array of int32.</summary>
    public GgufWriter AddInt32Array(string key, int[] values) => Add(key, GgufValue.FromArray(values));

    /// <summary>
    /// Adds a tensor from fp32 values in ggml order, encoded as <paramref name="type"/>. <paramref name="dimensions"/>
    /// is ggml's <c>ne</c> (fastest first); its first dimension must be a whole number of the type's blocks.
    /// </summary>
    public GgufWriter AddTensor(string name, ReadOnlySpan<float> values, ulong[] dimensions, GgmlType type)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        var count = CheckShape(name, dimensions, type);
        if (count != values.Length)
        {
            throw new ArgumentException($"tensor '{name}': {values.Length} values for dimensions [{string.Join(", ", dimensions)}]", nameof(values));
        }

        var data = new byte[GgmlCodec.ByteCount(type, count)];
        GgmlCodec.Quantize(type, values, data);
        _tensors.Add((name, [.. dimensions], type, data));
        return this;
    }

    /// <summary>Adds a tensor whose bytes are already encoded (any known type).</summary>
    public GgufWriter AddRawTensor(string name, ulong[] dimensions, GgmlType type, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        var count = CheckShape(name, dimensions, type);
        if (GgmlCodec.ByteCount(type, count) != data.Length)
        {
            throw new ArgumentException($"tensor '{name}': {data.Length} bytes, but {count} {type} values take {GgmlCodec.ByteCount(type, count)}", nameof(data));
        }

        _tensors.Add((name, [.. dimensions], type, [.. data]));
        return this;
    }

    private long CheckShape(string name, ulong[] dimensions, GgmlType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (dimensions.Length is < 1 or > 4)
        {
            throw new ArgumentException($"tensor '{name}' needs 1 to 4 dimensions", nameof(dimensions));
        }

        if (!GgmlCodec.IsKnown(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "unknown ggml type");
        }

        if (dimensions[0] % (ulong)GgmlCodec.BlockSize(type) != 0)
        {
            throw new ArgumentException($"tensor '{name}': dimension 0 ({dimensions[0]}) is not a multiple of the {type} block size {GgmlCodec.BlockSize(type)}", nameof(dimensions));
        }

        if (_names.Contains(name))
        {
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        }

        long count = 1;
        foreach (var d in dimensions)
        {
            count = checked(count * (long)d);
        }

        _names.Add(name);
        return count;
    }

    /// <summary>Writes the file to <paramref name="stream"/> (which needs no seeking).</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);

        // The header is built first so that its padded length is known without seeking.
        using var header = new MemoryStream();
        using (var h = new BinaryWriter(header, Encoding.UTF8, leaveOpen: true))
        {
            h.Write(GgufFile.Magic);
            h.Write(3u);
            h.Write((ulong)_tensors.Count);
            h.Write((ulong)_metadata.Count);
            foreach (var (key, value) in _metadata)
            {
                WriteString(h, key);
                h.Write((uint)value.Type);
                WriteValue(h, value);
            }

            ulong offset = 0;
            foreach (var (name, dims, type, data) in _tensors)
            {
                WriteString(h, name);
                h.Write((uint)dims.Length);
                foreach (var d in dims)
                {
                    h.Write(d);
                }

                h.Write((uint)type);
                h.Write(offset);
                offset += Pad((ulong)data.Length);
            }
        }

        header.WriteTo(stream);
        WriteZeros(stream, (long)Pad((ulong)header.Length) - header.Length);
        foreach (var (_, _, _, data) in _tensors)
        {
            stream.Write(data);
            WriteZeros(stream, (long)Pad((ulong)data.Length) - data.Length);
        }
    }

    /// <summary>Writes the file to <paramref name="path"/>, replacing it.</summary>
    public void WriteTo(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream);
    }

    /// <summary>The file as a byte array.</summary>
    public byte[] ToArray()
    {
        using var memory = new MemoryStream();
        Write(memory);
        return memory.ToArray();
    }

    private ulong Pad(ulong n) => (n + (ulong)Alignment - 1) / (ulong)Alignment * (ulong)Alignment;

    private static void WriteZeros(Stream stream, long count)
    {
        Span<byte> zeros = stackalloc byte[64];
        zeros.Clear();
        for (; count > 0; count -= zeros.Length)
        {
            stream.Write(zeros[..(int)Math.Min(count, zeros.Length)]);
        }
    }

    private static void WriteString(BinaryWriter w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    private static void WriteValue(BinaryWriter w, GgufValue value)
    {
        switch (value.Value)
        {
            case byte v: w.Write(v); break;
            case sbyte v: w.Write(v); break;
            case ushort v: w.Write(v); break;
            case short v: w.Write(v); break;
            case uint v: w.Write(v); break;
            case int v: w.Write(v); break;
            case float v: w.Write(v); break;
            case bool v: w.Write(v); break;
            case string v: WriteString(w, v); break;
            case ulong v: w.Write(v); break;
            case long v: w.Write(v); break;
            case double v: w.Write(v); break;
            case Array a: WriteArray(w, value.ElementType, a); break;
            default: throw new InvalidOperationException($"cannot write a {value.Value.GetType()}");
        }
    }

    private static void WriteArray(BinaryWriter w, GgufValueType elementType, Array values)
    {
        w.Write((uint)elementType);
        w.Write((ulong)values.Length);
        switch (values)
        {
            case GgufValue[] arrays:
                foreach (var a in arrays)
                {
                    WriteArray(w, a.ElementType, (Array)a.Value);
                }

                break;
            case string[] strings:
                foreach (var s in strings)
                {
                    WriteString(w, s);
                }

                break;
            default:
                foreach (var element in values)
                {
                    WriteValue(w, Box(element));
                }

                break;
        }
    }

    private static GgufValue Box(object element) => element switch
    {
        byte v => GgufValue.FromUInt8(v),
        sbyte v => GgufValue.FromInt8(v),
        ushort v => GgufValue.FromUInt16(v),
        short v => GgufValue.FromInt16(v),
        uint v => GgufValue.FromUInt32(v),
        int v => GgufValue.FromInt32(v),
        float v => GgufValue.FromFloat32(v),
        bool v => GgufValue.FromBool(v),
        ulong v => GgufValue.FromUInt64(v),
        long v => GgufValue.FromInt64(v),
        double v => GgufValue.FromFloat64(v),
        _ => throw new InvalidOperationException($"cannot write a {element.GetType()} array element"),
    };
}
