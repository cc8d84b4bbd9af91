// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// Writes msgpack byte for byte as hivemind's <c>MSGPackSerializer.dumps</c> does (hivemind/utils/serializer.py:
/// <c>use_bin_type=True, strict_types=True</c>): every header in its smallest form (fixint/fixstr/fixarray/fixmap,
/// then 8-, 16-, 32-bit forms; non-negative ints as uint forms, negative ones as int forms; <c>str8</c> is used),
/// floats as float64, <c>bytes</c> as bin, and a Python tuple as <c>Ext 0x40</c> wrapping the msgpack array of its
/// elements (<see cref="WriteTuple"/>). Maps and arrays are written in the order the caller writes their elements,
/// as Python writes a dict in insertion order.
/// </summary>
/// <example>
/// A Petals <c>ServerInfo.to_tuple()</c> value, <c>(2, 123.5, {"start_block": 0, "adapters": (), "next_pings": {}})</c>:
/// <code>
/// var bytes = DhtMsgPack.Write(static w => w.WriteTuple(3, static t =>
/// {
///     t.Write(2);
///     t.Write(123.5);
///     t.WriteMapHeader(3);
///     t.Write("start_block"); t.Write(0);
///     t.Write("adapters"); t.WriteTuple(0, static _ => { });
///     t.Write("next_pings"); t.WriteMapHeader(0);
/// }));
/// </code>
/// </example>
public sealed class DhtMsgPackWriter
{
    /// <summary>
    /// How deeply an object handed to <see cref="WriteEncoded"/> (or built by <see cref="WriteTuple"/>) may nest; the
    /// check that it is one object recurses once per level, so the bound keeps that recursion small.
    /// </summary>
    public const int MaxEncodedDepth = 256;

    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer that appends to <paramref name="output"/>.</summary>
    public DhtMsgPackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes nil (Python <c>None</c>).</summary>
    public void WriteNil() => WriteByte(0xc0);

    /// <summary>Writes a bool.</summary>
    public void Write(bool value) => WriteByte(value ? (byte)0xc3 : (byte)0xc2);

    /// <summary>Writes an int in its smallest form.</summary>
    public void Write(long value)
    {
        if (value >= 0)
        {
            Write((ulong)value);
        }
        else if (value >= -32)
        {
            WriteByte((byte)(sbyte)value);
        }
        else if (value >= sbyte.MinValue)
        {
            WriteHeader(0xd0, (byte)(sbyte)value, 1);
        }
        else if (value >= short.MinValue)
        {
            WriteHeader(0xd1, (ushort)(short)value, 2);
        }
        else if (value >= int.MinValue)
        {
            WriteHeader(0xd2, (uint)(int)value, 4);
        }
        else
        {
            WriteHeader(0xd3, (ulong)value, 8);
        }
    }

    /// <summary>Writes a non-negative int in its smallest form.</summary>
    public void Write(ulong value)
    {
        if (value <= 0x7f)
        {
            WriteByte((byte)value);
        }
        else if (value <= byte.MaxValue)
        {
            WriteHeader(0xcc, value, 1);
        }
        else if (value <= ushort.MaxValue)
        {
            WriteHeader(0xcd, value, 2);
        }
        else if (value <= uint.MaxValue)
        {
            WriteHeader(0xce, value, 4);
        }
        else
        {
            WriteHeader(0xcf, value, 8);
        }
    }

    /// <summary>Writes a float64 (Python floats are doubles; hivemind never writes float32).</summary>
    public void Write(double value) => WriteHeader(0xcb, BitConverter.DoubleToUInt64Bits(value), 8);

    /// <summary>Writes a str, or nil for null (Python's <c>Optional[str] = None</c>).</summary>
    public void Write(string? value)
    {
        if (value is null)
        {
            WriteNil();
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        if (length < 32)
        {
            WriteByte((byte)(0xa0 | length));
        }
        else if (length <= byte.MaxValue)
        {
            WriteHeader(0xd9, (ulong)length, 1);
        }
        else if (length <= ushort.MaxValue)
        {
            WriteHeader(0xda, (ulong)length, 2);
        }
        else
        {
            WriteHeader(0xdb, (ulong)length, 4);
        }

        var span = _output.GetSpan(length);
        Encoding.UTF8.GetBytes(value, span);
        _output.Advance(length);
    }

    /// <summary>Writes a bin (Python <c>bytes</c>).</summary>
    public void WriteBin(ReadOnlySpan<byte> value)
    {
        WriteLengthHeader(value.Length, 0xc4, 0xc5, 0xc6);
        WriteRaw(value);
    }

    /// <summary>Writes an array header; the caller then writes <paramref name="count"/> elements.</summary>
    public void WriteArrayHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 0x0f)
        {
            WriteByte((byte)(0x90 | count));
        }
        else
        {
            WriteHeader(count <= ushort.MaxValue ? (byte)0xdc : (byte)0xdd, (ulong)count, count <= ushort.MaxValue ? 2 : 4);
        }
    }

    /// <summary>Writes a map header; the caller then writes <paramref name="count"/> key/value pairs, key first.</summary>
    public void WriteMapHeader(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= 0x0f)
        {
            WriteByte((byte)(0x80 | count));
        }
        else
        {
            WriteHeader(count <= ushort.MaxValue ? (byte)0xde : (byte)0xdf, (ulong)count, count <= ushort.MaxValue ? 2 : 4);
        }
    }

    /// <summary>
    /// Writes an ext with msgpack's header choice: fixext 1/2/4/8/16 when the payload has exactly that length, else
    /// ext8/ext16/ext32. Type codes 0..127 are application types (hivemind uses 0x40 and 0x50).
    /// </summary>
    public void WriteExt(sbyte typeCode, ReadOnlySpan<byte> payload)
    {
        switch (payload.Length)
        {
            case 1:
                WriteByte(0xd4);
                break;
            case 2:
                WriteByte(0xd5);
                break;
            case 4:
                WriteByte(0xd6);
                break;
            case 8:
                WriteByte(0xd7);
                break;
            case 16:
                WriteByte(0xd8);
                break;
            default:
                WriteLengthHeader(payload.Length, 0xc7, 0xc8, 0xc9);
                break;
        }

        WriteByte((byte)typeCode);
        WriteRaw(payload);
    }

    /// <summary>
    /// Writes a Python tuple as hivemind does: <c>Ext 0x40</c> whose payload is the msgpack array of the elements.
    /// <paramref name="writeElements"/> writes exactly <paramref name="count"/> objects (nested tuples included).
    /// </summary>
    /// <exception cref="InvalidOperationException"><paramref name="writeElements"/> did not write exactly
    /// <paramref name="count"/> well-formed objects nested at most <see cref="MaxEncodedDepth"/> levels.</exception>
    public void WriteTuple(int count, Action<DhtMsgPackWriter> writeElements)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(writeElements);
        var payload = new ArrayBufferWriter<byte>();
        var inner = new DhtMsgPackWriter(payload);
        inner.WriteArrayHeader(count);
        writeElements(inner);
        if (!DhtMsgPack.IsSingleObject(payload.WrittenSpan, MaxEncodedDepth, out var error))
        {
            throw new InvalidOperationException($"The tuple's elements are not {count} msgpack objects: {error}");
        }

        WriteExt(MsgPackSpanReader.TupleExtType, payload.WrittenSpan);
    }

    /// <summary>
    /// Writes an object that is already msgpack, inline and unchanged (a subkey as <see cref="DhtDictionaryEntry"/>
    /// holds it, for example).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="msgpackObject"/> is not exactly one msgpack object nested at
    /// most <see cref="MaxEncodedDepth"/> levels.</exception>
    public void WriteEncoded(ReadOnlySpan<byte> msgpackObject)
    {
        if (!DhtMsgPack.IsSingleObject(msgpackObject, MaxEncodedDepth, out var error))
        {
            throw new ArgumentException($"Not one msgpack object: {error}", nameof(msgpackObject));
        }

        WriteRaw(msgpackObject);
    }

    private void WriteLengthHeader(int length, byte code8, byte code16, byte code32)
    {
        if (length <= byte.MaxValue)
        {
            WriteHeader(code8, (ulong)length, 1);
        }
        else if (length <= ushort.MaxValue)
        {
            WriteHeader(code16, (ulong)length, 2);
        }
        else
        {
            WriteHeader(code32, (ulong)length, 4);
        }
    }

    private void WriteByte(byte value)
    {
        var span = _output.GetSpan(1);
        span[0] = value;
        _output.Advance(1);
    }

    private void WriteHeader(byte code, ulong value, int size)
    {
        var span = _output.GetSpan(1 + size);
        span[0] = code;
        switch (size)
        {
            case 1:
                span[1] = (byte)value;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
                break;
            case 4:
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
                break;
            default:
                BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
                break;
        }

        _output.Advance(1 + size);
    }

    private void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }

        var span = _output.GetSpan(bytes.Length);
        bytes.CopyTo(span);
        _output.Advance(bytes.Length);
    }
}
