// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Text;

namespace KwaaiNet.Inference.Gguf;

/// <summary>
/// Reads the header of a GGUF file with every length checked against the limits and the bytes left in the file, so
/// nothing is allocated for a length the file cannot hold. Every failure is a <see cref="GgufFormatException"/> that
/// names what was being read and where.
/// </summary>
internal sealed class GgufHeaderReader(Stream stream, long length, GgufReadLimits limits)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly byte[] _scratch = new byte[8];

    public long Position { get; private set; }

    public long Remaining => length - Position;

    public uint ReadUInt32(string what) => BinaryPrimitives.ReadUInt32LittleEndian(Fill(4, what));

    public ulong ReadUInt64(string what) => BinaryPrimitives.ReadUInt64LittleEndian(Fill(8, what));

    public string ReadString(string what)
    {
        var start = Position;
        var n = ReadUInt64(what + " length");
        if (n > (ulong)limits.MaxStringBytes)
        {
            throw Error(start, $"{what}: string length {n} exceeds the limit of {limits.MaxStringBytes} bytes");
        }

        if ((long)n > Remaining)
        {
            throw Error(start, $"{what}: string length {n} runs past the end of the file ({Remaining} bytes left)");
        }

        var bytes = new byte[(int)n];
        ReadExactly(bytes, what);
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException ex)
        {
            throw new GgufFormatException($"{what} at offset {start}: not valid UTF-8", ex);
        }
    }

    public GgufValue ReadValue(GgufValueType type, string what, int depth = 0)
    {
        var start = Position;
        switch (type)
        {
            case GgufValueType.UInt8: return GgufValue.FromUInt8(Fill(1, what)[0]);
            case GgufValueType.Int8: return GgufValue.FromInt8((sbyte)Fill(1, what)[0]);
            case GgufValueType.UInt16: return GgufValue.FromUInt16(BinaryPrimitives.ReadUInt16LittleEndian(Fill(2, what)));
            case GgufValueType.Int16: return GgufValue.FromInt16(BinaryPrimitives.ReadInt16LittleEndian(Fill(2, what)));
            case GgufValueType.UInt32: return GgufValue.FromUInt32(ReadUInt32(what));
            case GgufValueType.Int32: return GgufValue.FromInt32(BinaryPrimitives.ReadInt32LittleEndian(Fill(4, what)));
            case GgufValueType.Float32: return GgufValue.FromFloat32(BinaryPrimitives.ReadSingleLittleEndian(Fill(4, what)));
            case GgufValueType.Bool: return GgufValue.FromBool(ReadBool(what));
            case GgufValueType.String: return GgufValue.FromString(ReadString(what));
            case GgufValueType.UInt64: return GgufValue.FromUInt64(ReadUInt64(what));
            case GgufValueType.Int64: return GgufValue.FromInt64(BinaryPrimitives.ReadInt64LittleEndian(Fill(8, what)));
            case GgufValueType.Float64: return GgufValue.FromFloat64(BinaryPrimitives.ReadDoubleLittleEndian(Fill(8, what)));
            case GgufValueType.Array: return ReadArray(what, depth);
            default: throw Error(start, $"{what}: unknown value type {(uint)type}");
        }
    }

    private GgufValue ReadArray(string what, int depth)
    {
        var start = Position;
        if (depth >= limits.MaxArrayDepth)
        {
            throw Error(start, $"{what}: arrays nested deeper than {limits.MaxArrayDepth}");
        }

        var elementType = (GgufValueType)ReadUInt32(what + " element type");
        var count = ReadUInt64(what + " element count");
        if (count > (ulong)limits.MaxArrayElements)
        {
            throw Error(start, $"{what}: array of {count} elements exceeds the limit of {limits.MaxArrayElements}");
        }

        var minBytes = elementType switch
        {
            GgufValueType.UInt8 or GgufValueType.Int8 or GgufValueType.Bool => 1,
            GgufValueType.UInt16 or GgufValueType.Int16 => 2,
            GgufValueType.UInt32 or GgufValueType.Int32 or GgufValueType.Float32 => 4,
            GgufValueType.String or GgufValueType.UInt64 or GgufValueType.Int64 or GgufValueType.Float64 => 8,
            GgufValueType.Array => 12,
            _ => throw Error(start, $"{what}: unknown array element type {(uint)elementType}"),
        };
        if (count * (ulong)minBytes > (ulong)Remaining)
        {
            throw Error(start, $"{what}: array of {count} {elementType} elements runs past the end of the file ({Remaining} bytes left)");
        }

        var n = (int)count;
        switch (elementType)
        {
            case GgufValueType.String:
                var strings = new string[n];
                for (var i = 0; i < n; i++)
                {
                    strings[i] = ReadString($"{what}[{i}]");
                }

                return GgufValue.FromArray(strings);
            case GgufValueType.Array:
                var arrays = new GgufValue[n];
                for (var i = 0; i < n; i++)
                {
                    arrays[i] = ReadArray($"{what}[{i}]", depth + 1);
                }

                return GgufValue.FromArray(arrays);
            case GgufValueType.Bool:
                var bools = new bool[n];
                for (var i = 0; i < n; i++)
                {
                    bools[i] = ReadBool($"{what}[{i}]");
                }

                return GgufValue.FromArray(bools);
            default:
                var raw = new byte[n * minBytes];
                ReadExactly(raw, what);
                return elementType switch
                {
                    GgufValueType.UInt8 => GgufValue.FromArray(raw),
                    GgufValueType.Int8 => GgufValue.FromArray(Decode<sbyte>(raw, 1, static s => (sbyte)s[0])),
                    GgufValueType.UInt16 => GgufValue.FromArray(Decode(raw, 2, BinaryPrimitives.ReadUInt16LittleEndian)),
                    GgufValueType.Int16 => GgufValue.FromArray(Decode(raw, 2, BinaryPrimitives.ReadInt16LittleEndian)),
                    GgufValueType.UInt32 => GgufValue.FromArray(Decode(raw, 4, BinaryPrimitives.ReadUInt32LittleEndian)),
                    GgufValueType.Int32 => GgufValue.FromArray(Decode(raw, 4, BinaryPrimitives.ReadInt32LittleEndian)),
                    GgufValueType.Float32 => GgufValue.FromArray(Decode(raw, 4, BinaryPrimitives.ReadSingleLittleEndian)),
                    GgufValueType.UInt64 => GgufValue.FromArray(Decode(raw, 8, BinaryPrimitives.ReadUInt64LittleEndian)),
                    GgufValueType.Int64 => GgufValue.FromArray(Decode(raw, 8, BinaryPrimitives.ReadInt64LittleEndian)),
                    _ => GgufValue.FromArray(Decode(raw, 8, BinaryPrimitives.ReadDoubleLittleEndian)),
                };
        }
    }

    private delegate T SpanDecoder<out T>(ReadOnlySpan<byte> source);

    private static T[] Decode<T>(byte[] raw, int size, SpanDecoder<T> decode)
    {
        var values = new T[raw.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = decode(raw.AsSpan(i * size, size));
        }

        return values;
    }

    private bool ReadBool(string what)
    {
        var start = Position;
        return Fill(1, what)[0] switch
        {
            0 => false,
            1 => true,
            var b => throw Error(start, $"{what}: bool byte is {b}, not 0 or 1"),
        };
    }

    public static GgufFormatException Error(long offset, string message) => new($"{message} (at offset {offset})");

    private Span<byte> Fill(int count, string what)
    {
        var span = _scratch.AsSpan(0, count);
        ReadExactly(span, what);
        return span;
    }

    private void ReadExactly(Span<byte> buffer, string what)
    {
        var read = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (read < buffer.Length)
        {
            throw Error(Position, $"file truncated while reading {what}: needed {buffer.Length} bytes, {read} left");
        }

        Position += buffer.Length;
    }
}
