// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.IO.MemoryMappedFiles;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// A GGUF file (version 3, or 2 which has the same layout): its metadata and tensor infos, parsed and validated when
/// opened, and its tensor data memory-mapped read-only.
/// </summary>
/// <remarks>
/// Tensor bytes are handed out as spans over the mapping, without a copy: the view's pointer is acquired once when the
/// file opens and released on <see cref="Dispose"/>. A span from <see cref="TensorBytes"/> must therefore not outlive
/// the <see cref="GgufFile"/>. Reading is safe from several threads.
/// </remarks>
public sealed unsafe class GgufFile : IDisposable
{
    /// <summary>"GGUF" read as a little-endian uint32.</summary>
    public const uint Magic = 0x46554747;

    /// <summary>The alignment of tensor data when <c>general.alignment</c> is absent.</summary>
    public const int DefaultAlignment = 32;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName;
    private bool _disposed;

    private GgufFile(
        string path, uint version, Dictionary<string, GgufValue> metadata, List<GgufTensorInfo> tensors,
        int alignment, long dataStart, long length, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Version = version;
        Metadata = metadata;
        Tensors = tensors;
        Alignment = alignment;
        DataStart = dataStart;
        _length = length;
        _map = map;
        _view = view;
        _tensorsByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        if (view is not null)
        {
            byte* p = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
            _base = p + view.PointerOffset;
        }
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The format version (2 or 3).</summary>
    public uint Version { get; }

    /// <summary>Metadata by key, in file order.</summary>
    public IReadOnlyDictionary<string, GgufValue> Metadata { get; }

    /// <summary>Tensor infos in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors { get; }

    /// <summary>The alignment of tensor data (<c>general.alignment</c>, default 32).</summary>
    public int Alignment { get; }

    /// <summary>File offset of the data section; tensor offsets are relative to it.</summary>
    public long DataStart { get; }

    /// <summary>
    /// Parses and validates the header of the GGUF file at <paramref name="path"/> and maps its data.
    /// </summary>
    /// <exception cref="GgufFormatException">The file breaks the format or a limit; the message names the field and offset.</exception>
    public static GgufFile Open(string path, GgufReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        limits ??= GgufReadLimits.Default;
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            var length = stream.Length;
            var r = new GgufHeaderReader(stream, length, limits);
            var magic = r.ReadUInt32("magic");
            if (magic != Magic)
            {
                throw GgufHeaderReader.Error(0, $"not a GGUF file: magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\")");
            }

            var version = r.ReadUInt32("version");
            if (version is not (2 or 3))
            {
                throw GgufHeaderReader.Error(4, $"unsupported GGUF version {version} (2 and 3 are read)");
            }

            var tensorCount = r.ReadUInt64("tensor count");
            if (tensorCount > (ulong)limits.MaxTensors)
            {
                throw GgufHeaderReader.Error(8, $"tensor count {tensorCount} exceeds the limit of {limits.MaxTensors}");
            }

            var kvCount = r.ReadUInt64("metadata count");
            if (kvCount > (ulong)limits.MaxMetadataEntries)
            {
                throw GgufHeaderReader.Error(16, $"metadata count {kvCount} exceeds the limit of {limits.MaxMetadataEntries}");
            }

            var metadata = new Dictionary<string, GgufValue>((int)Math.Min(kvCount, 1024), StringComparer.Ordinal);
            for (ulong i = 0; i < kvCount; i++)
            {
                var at = r.Position;
                var key = r.ReadString($"metadata key #{i}");
                var type = (GgufValueType)r.ReadUInt32($"type of metadata '{key}'");
                var value = r.ReadValue(type, $"metadata '{key}'");
                if (!metadata.TryAdd(key, value))
                {
                    throw GgufHeaderReader.Error(at, $"duplicate metadata key '{key}'");
                }
            }

            var alignment = ReadAlignment(metadata);
            var infos = new List<(string Name, ulong[] Ne, uint Type, ulong Offset, long At)>((int)tensorCount);
            for (ulong i = 0; i < tensorCount; i++)
            {
                var at = r.Position;
                var name = r.ReadString($"name of tensor #{i}");
                var nDims = r.ReadUInt32($"dimension count of tensor '{name}'");
                if (nDims == 0 || nDims > (uint)Math.Min(limits.MaxDimensions, 4))
                {
                    throw GgufHeaderReader.Error(at, $"tensor '{name}' has {nDims} dimensions (1 to {Math.Min(limits.MaxDimensions, 4)} allowed)");
                }

                var ne = new ulong[nDims];
                for (var d = 0; d < nDims; d++)
                {
                    ne[d] = r.ReadUInt64($"dimension {d} of tensor '{name}'");
                }

                var type = r.ReadUInt32($"type of tensor '{name}'");
                var offset = r.ReadUInt64($"offset of tensor '{name}'");
                infos.Add((name, ne, type, offset, at));
            }

            var dataStart = AlignUp(r.Position, alignment);
            var tensors = new List<GgufTensorInfo>(infos.Count);
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (name, ne, typeId, offset, at) in infos)
            {
                if (!names.Add(name))
                {
                    throw GgufHeaderReader.Error(at, $"duplicate tensor name '{name}'");
                }

                tensors.Add(ValidateTensor(name, ne, typeId, offset, at, alignment, dataStart, length));
            }

            MemoryMappedFile? map = null;
            MemoryMappedViewAccessor? view = null;
            if (length > 0)
            {
                map = MemoryMappedFile.CreateFromFile(stream, mapName: null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
                stream = null;
                view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            }

            return new GgufFile(path, version, metadata, tensors, alignment, dataStart, length, map, view);
        }
        finally
        {
            stream?.Dispose();
        }
    }

    private static int ReadAlignment(Dictionary<string, GgufValue> metadata)
    {
        if (!metadata.TryGetValue("general.alignment", out var value))
        {
            return DefaultAlignment;
        }

        if (value.Type != GgufValueType.UInt32)
        {
            throw new GgufFormatException($"metadata 'general.alignment' is a {value.Type}, expected UInt32");
        }

        var a = (uint)value.Value;
        return a is > 0 and <= (1 << 20) && (a & (a - 1)) == 0
            ? (int)a
            : throw new GgufFormatException($"metadata 'general.alignment' is {a}, expected a power of two up to 1 MiB");
    }

    private static long AlignUp(long offset, int alignment) => (offset + alignment - 1) / alignment * alignment;

    private static GgufTensorInfo ValidateTensor(
        string name, ulong[] ne, uint typeId, ulong offset, long at, int alignment, long dataStart, long fileLength)
    {
        var type = (GgmlType)typeId;
        if (!GgmlCodec.IsKnown(type))
        {
            throw GgufHeaderReader.Error(at, $"tensor '{name}' has unknown ggml type id {typeId}");
        }

        long count = 1;
        for (var d = 0; d < ne.Length; d++)
        {
            if (ne[d] > long.MaxValue || (ne[d] != 0 && count > long.MaxValue / (long)ne[d]))
            {
                throw GgufHeaderReader.Error(at, $"tensor '{name}' has an element count that overflows (dimension {d} is {ne[d]})");
            }

            count *= (long)ne[d];
        }

        var blockSize = GgmlCodec.BlockSize(type);
        if (ne[0] % (ulong)blockSize != 0)
        {
            throw GgufHeaderReader.Error(at, $"tensor '{name}': dimension 0 is {ne[0]}, not a multiple of the {type} block size {blockSize}");
        }

        var blocks = count / blockSize;
        var blockBytes = GgmlCodec.BlockBytes(type);
        if (blocks > long.MaxValue / blockBytes)
        {
            throw GgufHeaderReader.Error(at, $"tensor '{name}' of {count} {type} values has a byte size that overflows");
        }

        var byteSize = blocks * blockBytes;
        if (offset % (ulong)alignment != 0)
        {
            throw GgufHeaderReader.Error(at, $"tensor '{name}' offset {offset} is not a multiple of the alignment {alignment}");
        }

        var available = fileLength - dataStart;
        if (offset > (ulong)Math.Max(available, 0) || byteSize > available - (long)offset)
        {
            throw GgufHeaderReader.Error(at, $"tensor '{name}' ({type}, {count} values, {byteSize} bytes at data offset {offset}) lies outside the file: the data section has {Math.Max(available, 0)} bytes");
        }

        return new GgufTensorInfo(name, ne, type, offset, byteSize);
    }

    /// <summary>The tensor info of that name.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public GgufTensorInfo GetTensor(string name) =>
        _tensorsByName.TryGetValue(name, out var t) ? t : throw new KeyNotFoundException($"no tensor '{name}' in {Path}");

    /// <summary>The tensor info of that name, if present.</summary>
    public bool TryGetTensor(string name, [MaybeNullWhen(false)] out GgufTensorInfo tensor) =>
        _tensorsByName.TryGetValue(name, out tensor);

    /// <summary>
    /// The tensor's raw bytes, straight from the mapping (no copy). Valid until this file is disposed. Tensors over
    /// 2 GiB cannot be one span; use <see cref="DequantizeTo"/> for those.
    /// </summary>
    public ReadOnlySpan<byte> TensorBytes(GgufTensorInfo tensor)
    {
        var start = Locate(tensor);
        if (tensor.ByteSize > int.MaxValue)
        {
            throw new NotSupportedException($"tensor '{tensor.Name}' has {tensor.ByteSize} bytes, more than one span can hold");
        }

        return new ReadOnlySpan<byte>(_base + start, (int)tensor.ByteSize);
    }

    /// <summary>The tensor dequantized to a new fp32 array, in ggml order.</summary>
    public float[] ReadFloat32(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var count = tensor.ElementCount;
        if (count > Array.MaxLength)
        {
            throw new NotSupportedException($"tensor '{tensor.Name}' has {count} elements, more than one array can hold");
        }

        var values = new float[count];
        DequantizeTo(tensor, values);
        return values;
    }

    /// <summary>Dequantizes the tensor into <paramref name="destination"/>, which must have exactly its element count.</summary>
    /// <exception cref="NotSupportedException">The tensor's type has no decoder.</exception>
    public void DequantizeTo(GgufTensorInfo tensor, Span<float> destination)
    {
        var start = Locate(tensor);
        if (destination.Length != tensor.ElementCount)
        {
            throw new ArgumentException($"tensor '{tensor.Name}' has {tensor.ElementCount} elements, the destination {destination.Length}", nameof(destination));
        }

        if (!GgmlCodec.CanDequantize(tensor.Type))
        {
            throw new NotSupportedException($"tensor '{tensor.Name}': dequantizing ggml type {tensor.Type} is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)");
        }

        // Decode in chunks of whole blocks so that no source span exceeds 2 GiB.
        var blockSize = GgmlCodec.BlockSize(tensor.Type);
        var blockBytes = GgmlCodec.BlockBytes(tensor.Type);
        var blocksPerChunk = (1 << 24) / blockSize;
        var totalBlocks = destination.Length / blockSize;
        for (var b = 0; b < totalBlocks; b += blocksPerChunk)
        {
            var n = Math.Min(blocksPerChunk, totalBlocks - b);
            var src = new ReadOnlySpan<byte>(_base + start + ((long)b * blockBytes), n * blockBytes);
            GgmlCodec.Dequantize(tensor.Type, src, destination.Slice(b * blockSize, n * blockSize));
        }
    }

    private long Locate(GgufTensorInfo tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_tensorsByName.TryGetValue(tensor.Name, out var own) || !ReferenceEquals(own, tensor) && own != tensor)
        {
            throw new ArgumentException($"tensor '{tensor.Name}' is not one of this file's tensors", nameof(tensor));
        }

        var start = DataStart + (long)tensor.Offset;
        return start + tensor.ByteSize <= _length && (_base != null || tensor.ByteSize == 0)
            ? start
            : throw new GgufFormatException($"tensor '{tensor.Name}' lies outside the file");
    }

    /// <summary>Whether the metadata has that key.</summary>
    public bool ContainsKey(string key) => Metadata.ContainsKey(key);

    /// <summary>A string value.</summary>
    public string GetString(string key) => Get(key, static v => v.AsString());

    /// <summary>An integer value that fits in a uint32.</summary>
    public uint GetUInt32(string key) => Get(key, static v => v.AsUInt32());

    /// <summary>An integer value that fits in an int32.</summary>
    public int GetInt32(string key) => Get(key, static v => v.AsInt32());

    /// <summary>An integer value that fits in an int64.</summary>
    public long GetInt64(string key) => Get(key, static v => v.AsInt64());

    /// <summary>A float32 (or float64) value.</summary>
    public float GetFloat32(string key) => Get(key, static v => v.AsFloat32());

    /// <summary>A bool value.</summary>
    public bool GetBool(string key) => Get(key, static v => v.AsBool());

    /// <summary>An array value whose elements are <typeparamref name="T"/>.</summary>
    public T[] GetArray<T>(string key) => Get(key, static v => v.AsArray<T>());

    /// <summary>A string value, if the key is present (a present value of another type still throws).</summary>
    public bool TryGetString(string key, [NotNullWhen(true)] out string? value) =>
        TryGet(key, static v => v.AsString(), out value);

    /// <summary>An integer value that fits in a uint32, if the key is present.</summary>
    public bool TryGetUInt32(string key, out uint value) => TryGet(key, static v => v.AsUInt32(), out value);

    /// <summary>A float32 value, if the key is present.</summary>
    public bool TryGetFloat32(string key, out float value) => TryGet(key, static v => v.AsFloat32(), out value);

    /// <summary>An array value, if the key is present.</summary>
    public bool TryGetArray<T>(string key, [NotNullWhen(true)] out T[]? value) =>
        TryGet(key, static v => v.AsArray<T>(), out value);

    private T Get<T>(string key, Func<GgufValue, T> convert) =>
        Metadata.TryGetValue(key, out var v) ? Convert(key, v, convert) : throw new GgufFormatException($"missing metadata key '{key}' in {Path}");

    private bool TryGet<T>(string key, Func<GgufValue, T> convert, out T value)
    {
        if (Metadata.TryGetValue(key, out var v))
        {
            value = Convert(key, v, convert);
            return true;
        }

        value = default!;
        return false;
    }

    private static T Convert<T>(string key, GgufValue v, Func<GgufValue, T> convert)
    {
        try
        {
            return convert(v);
        }
        catch (InvalidCastException ex)
        {
            throw new GgufFormatException($"metadata '{key}': {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _map?.Dispose();
    }
}
