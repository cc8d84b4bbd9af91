// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Text.Unicode;

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// A strict, allocation-free msgpack reader over one span, for values that come from peers. Every length is checked
/// against the bytes that remain before it is used, every count against the bytes that remain before it is iterated,
/// and nesting is bounded by the caller, so no input can make it allocate, loop or recurse without bound. Failures
/// throw <see cref="DhtValueFormatException"/> naming what was read and where.
/// </summary>
public ref struct MsgPackSpanReader
{
    /// <summary>hivemind's tuple ext code (<c>MSGPackSerializer._TUPLE_EXT_TYPE_CODE</c>, hivemind/utils/serializer.py).</summary>
    public const sbyte TupleExtType = 0x40;

    /// <summary>hivemind's <c>DictionaryDHTValue</c> ext code (<c>@ext_serializable(0x50)</c>, hivemind/dht/storage.py).</summary>
    public const sbyte DictionaryExtType = 0x50;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader positioned at the first byte of <paramref name="data"/>.</summary>
    public MsgPackSpanReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>True when every byte has been read.</summary>
    public readonly bool End => _position == _data.Length;

    /// <summary>How many bytes remain.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>The offset of the next byte.</summary>
    public readonly int Position => _position;

    /// <summary>The bytes from <paramref name="start"/> to the current position.</summary>
    public readonly ReadOnlySpan<byte> Since(int start) => _data[start.._position];

    /// <summary>The next format byte, not consumed.</summary>
    public readonly byte Peek(string where) =>
        _position < _data.Length ? _data[_position] : throw Truncated(where);

    /// <summary>Consumes a nil if one is next.</summary>
    public bool TryReadNil()
    {
        if (_position < _data.Length && _data[_position] == 0xc0)
        {
            _position++;
            return true;
        }

        return false;
    }

    /// <summary>Reads an array header and returns its element count, already checked against the remaining bytes.</summary>
    public int ReadArrayHeader(string where)
    {
        var code = Peek(where);
        ulong count;
        if (code is >= 0x90 and <= 0x9f)
        {
            _position++;
            count = (ulong)(code & 0x0f);
        }
        else if (code == 0xdc)
        {
            _position++;
            count = ReadBigEndian(2, where);
        }
        else if (code == 0xdd)
        {
            _position++;
            count = ReadBigEndian(4, where);
        }
        else
        {
            throw WrongType(where, code, "array");
        }

        // Every element takes at least one byte: a larger count is a truncated (or hostile) input.
        return count <= (ulong)Remaining ? (int)count : throw Truncated($"{where} (array of {count} elements)");
    }

    /// <summary>Reads a map header and returns its entry count, already checked against the remaining bytes.</summary>
    public int ReadMapHeader(string where)
    {
        var code = Peek(where);
        ulong count;
        if (code is >= 0x80 and <= 0x8f)
        {
            _position++;
            count = (ulong)(code & 0x0f);
        }
        else if (code == 0xde)
        {
            _position++;
            count = ReadBigEndian(2, where);
        }
        else if (code == 0xdf)
        {
            _position++;
            count = ReadBigEndian(4, where);
        }
        else
        {
            throw WrongType(where, code, "map");
        }

        // Every entry takes at least two bytes: a larger count is a truncated (or hostile) input.
        return count <= (ulong)Remaining / 2 ? (int)count : throw Truncated($"{where} (map of {count} entries)");
    }

    /// <summary>Reads a str and returns its UTF-8 bytes (a slice of the input), checked to be valid UTF-8.</summary>
    public ReadOnlySpan<byte> ReadStr(string where)
    {
        var code = Peek(where);
        ulong length;
        if (code is >= 0xa0 and <= 0xbf)
        {
            _position++;
            length = (ulong)(code & 0x1f);
        }
        else if (code is 0xd9 or 0xda or 0xdb)
        {
            _position++;
            length = ReadBigEndian(code == 0xd9 ? 1 : code == 0xda ? 2 : 4, where);
        }
        else
        {
            throw WrongType(where, code, "str");
        }

        var bytes = ReadBytes(length, where);
        CheckUtf8(bytes, where);
        return bytes;
    }

    /// <summary>Reads an int in any msgpack int form; a float, or a uint64 above <see cref="long.MaxValue"/>, is refused.</summary>
    public long ReadInteger(string where)
    {
        var code = Peek(where);
        if (code is not (<= 0x7f or >= 0xe0 or (>= 0xcc and <= 0xd3)))
        {
            throw WrongType(where, code, "int");
        }

        if (code == 0xcf)
        {
            _position++;
            var value = ReadBigEndian(8, where);
            return value <= long.MaxValue
                ? (long)value
                : throw new DhtValueFormatException($"{where}: the int {value} is larger than {long.MaxValue}.");
        }

        if (code == 0xd3)
        {
            _position++;
            return (long)ReadBigEndian(8, where);
        }

        // The remaining forms carry at most 32 bits, which a double holds exactly.
        return (long)ReadNumber(where);
    }

    /// <summary>Reads a float32 or float64 as a double; an int is refused (hivemind writes every Python float as float64).</summary>
    public double ReadFloat(string where)
    {
        var code = Peek(where);
        return code is 0xca or 0xcb ? ReadNumber(where) : throw WrongType(where, code, "float");
    }

    /// <summary>Reads a bool.</summary>
    public bool ReadBool(string where)
    {
        var code = Peek(where);
        if (code is not (0xc2 or 0xc3))
        {
            throw WrongType(where, code, "bool");
        }

        _position++;
        return code == 0xc3;
    }

    /// <summary>Reads an int or float as a double (Python reads both as numbers; hivemind writes floats).</summary>
    public double ReadNumber(string where)
    {
        var code = Peek(where);
        switch (code)
        {
            case <= 0x7f:
                _position++;
                return code;
            case >= 0xe0:
                _position++;
                return (sbyte)code;
            case 0xca:
                _position++;
                return BitConverter.Int32BitsToSingle((int)ReadBigEndian(4, where));
            case 0xcb:
                _position++;
                return BitConverter.UInt64BitsToDouble(ReadBigEndian(8, where));
            case 0xcc:
                _position++;
                return ReadBigEndian(1, where);
            case 0xcd:
                _position++;
                return ReadBigEndian(2, where);
            case 0xce:
                _position++;
                return ReadBigEndian(4, where);
            case 0xcf:
                _position++;
                return ReadBigEndian(8, where);
            case 0xd0:
                _position++;
                return (sbyte)ReadBigEndian(1, where);
            case 0xd1:
                _position++;
                return (short)ReadBigEndian(2, where);
            case 0xd2:
                _position++;
                return (int)ReadBigEndian(4, where);
            case 0xd3:
                _position++;
                return (long)ReadBigEndian(8, where);
            default:
                throw WrongType(where, code, "float or int");
        }
    }

    /// <summary>Reads a bin and returns its content (a slice of the input).</summary>
    public ReadOnlySpan<byte> ReadBin(string where)
    {
        var code = Peek(where);
        var lengthBytes = code switch
        {
            0xc4 => 1,
            0xc5 => 2,
            0xc6 => 4,
            _ => throw WrongType(where, code, "bin"),
        };
        _position++;
        return ReadBytes(ReadBigEndian(lengthBytes, where), where);
    }

    /// <summary>Reads an ext and returns its type code and payload (a slice of the input).</summary>
    public ReadOnlySpan<byte> ReadExt(string where, out sbyte type)
    {
        var code = Peek(where);
        if (code is not (0xc7 or 0xc8 or 0xc9 or (>= 0xd4 and <= 0xd8)))
        {
            throw WrongType(where, code, "ext");
        }

        _position++;
        var length = code switch
        {
            0xd4 => 1UL,
            0xd5 => 2UL,
            0xd6 => 4UL,
            0xd7 => 8UL,
            0xd8 => 16UL,
            0xc7 => ReadBigEndian(1, where),
            0xc8 => ReadBigEndian(2, where),
            _ => ReadBigEndian(4, where),
        };
        type = (sbyte)ReadBytes(1, where)[0];
        return ReadBytes(length, where);
    }

    /// <summary>
    /// Reads one whole object and returns its raw bytes. Arrays, maps and tuples (<c>Ext 0x40</c>, whose payload must be
    /// exactly one array, as hivemind's decoder requires) count one level of nesting each; other ext payloads are opaque.
    /// With <paramref name="hashable"/> the object must be one Python can use as a dictionary key after
    /// <c>MSGPackSerializer.loads</c>: msgpack arrays and maps load as <c>list</c> and <c>dict</c>, which are unhashable,
    /// so hivemind's <c>DictionaryDHTValue.store</c> fails on them; a tuple of hashable objects is fine.
    /// </summary>
    public ReadOnlySpan<byte> ReadObject(int maxDepth, bool hashable, string where)
    {
        var start = _position;
        Skip(1, maxDepth, hashable, where);
        return Since(start);
    }

    private void Skip(int depth, int maxDepth, bool hashable, string where)
    {
        if (depth > maxDepth)
        {
            throw new DhtValueFormatException($"{where}: nested deeper than {maxDepth} levels.");
        }

        var code = Peek(where);
        switch (code)
        {
            case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3:
                _position++;
                return;
            case >= 0x80 and <= 0x8f:
                _position++;
                SkipMap((ulong)(code & 0x0f), depth, maxDepth, hashable, where);
                return;
            case >= 0x90 and <= 0x9f:
            case 0xdc or 0xdd:
                if (hashable)
                {
                    throw new DhtValueFormatException($"{where} is an array, which Python cannot use as a subkey (lists are unhashable).");
                }

                var count = ReadArrayHeader(where);
                for (var i = 0; i < count; i++)
                {
                    Skip(depth + 1, maxDepth, hashable, where);
                }

                return;
            case >= 0xa0 and <= 0xbf:
                _position++;
                CheckUtf8(ReadBytes((ulong)(code & 0x1f), where), where);
                return;
            case 0xd9 or 0xda or 0xdb:
                _position++;
                CheckUtf8(ReadBytes(ReadBigEndian(code == 0xd9 ? 1 : code == 0xda ? 2 : 4, where), where), where);
                return;
            case 0xc4 or 0xc5 or 0xc6:
                ReadBin(where);
                return;
            case 0xca or 0xcb or (>= 0xcc and <= 0xd3):
                ReadNumber(where);
                return;
            case 0xde or 0xdf:
                _position++;
                SkipMap(ReadBigEndian(code == 0xde ? 2 : 4, where), depth, maxDepth, hashable, where);
                return;
            case 0xc7 or 0xc8 or 0xc9 or (>= 0xd4 and <= 0xd8):
                var payload = ReadExt(where, out var type);
                if (type == TupleExtType)
                {
                    SkipTuple(payload, depth, maxDepth, hashable, where);
                }
                else if (hashable && type == DictionaryExtType)
                {
                    throw new DhtValueFormatException($"{where} is a dictionary value (ext 0x50), which cannot be a subkey.");
                }

                return;
            default:
                throw new DhtValueFormatException($"{where}: byte 0x{code:x2} at offset {_position} is not a msgpack format.");
        }
    }

    private void SkipMap(ulong count, int depth, int maxDepth, bool hashable, string where)
    {
        if (hashable)
        {
            throw new DhtValueFormatException($"{where} is a map, which Python cannot use as a subkey (dicts are unhashable).");
        }

        // Each entry takes at least two bytes.
        if (count > (ulong)Remaining / 2)
        {
            throw Truncated($"{where} (map of {count} entries)");
        }

        for (ulong i = 0; i < 2 * count; i++)
        {
            Skip(depth + 1, maxDepth, hashable, where);
        }
    }

    private static void SkipTuple(ReadOnlySpan<byte> payload, int depth, int maxDepth, bool hashable, string where)
    {
        // hivemind reads a tuple as tuple(msgpack.unpackb(payload)): the payload is exactly one array, whose elements
        // sit one level below the tuple.
        var inner = new MsgPackSpanReader(payload);
        var count = inner.ReadArrayHeader($"{where} (tuple payload)");
        for (var i = 0; i < count; i++)
        {
            inner.Skip(depth + 1, maxDepth, hashable, where);
        }

        if (!inner.End)
        {
            throw new DhtValueFormatException($"{where}: trailing bytes: {inner.Remaining} after the tuple's array.");
        }
    }

    private ulong ReadBigEndian(int size, string where)
    {
        var bytes = ReadBytes((ulong)size, where);
        return size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
    }

    private ReadOnlySpan<byte> ReadBytes(ulong length, string where)
    {
        if (length > (ulong)Remaining)
        {
            throw Truncated(where);
        }

        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    private static void CheckUtf8(ReadOnlySpan<byte> bytes, string where)
    {
        // hivemind loads with raw=False, so a str that is not UTF-8 fails in Python too.
        if (!Utf8.IsValid(bytes))
        {
            throw new DhtValueFormatException($"{where} is a str that is not valid UTF-8.");
        }
    }

    private readonly DhtValueFormatException Truncated(string where) =>
        new($"{where}: truncated input ({_data.Length} bytes in all).");

    private readonly DhtValueFormatException WrongType(string where, byte code, string expected) =>
        new($"{where} is {KindOf(code)}, expected {expected} (byte 0x{code:x2} at offset {_position}).");

    /// <summary>The msgpack family a format byte belongs to, as messages name it.</summary>
    public static string KindOf(byte code) => code switch
    {
        <= 0x7f or >= 0xe0 or (>= 0xcc and <= 0xd3) => "int",
        <= 0x8f or 0xde or 0xdf => "map",
        <= 0x9f or 0xdc or 0xdd => "array",
        <= 0xbf or 0xd9 or 0xda or 0xdb => "str",
        0xc0 => "nil",
        0xc1 => "an unused format byte",
        0xc2 or 0xc3 => "bool",
        0xc4 or 0xc5 or 0xc6 => "bin",
        0xca or 0xcb => "float",
        _ => "ext",
    };
}
