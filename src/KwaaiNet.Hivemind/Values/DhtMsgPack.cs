// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Text;

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// msgpack helpers for hivemind's DHT protocol: the <c>StoreRequest</c> subkey tags, str keys and subkeys, and strict
/// validation of single objects that come from peers. Everything is written as hivemind's <c>MSGPackSerializer</c>
/// writes it (see <see cref="DhtMsgPackWriter"/>).
/// </summary>
public static class DhtMsgPack
{
    private static readonly byte[] Nil = [0xc0];

    /// <summary>
    /// The subkey tag of a regular value in a <c>StoreRequest</c>: msgpack nil, hivemind's <c>IS_REGULAR_VALUE =
    /// MSGPackSerializer.dumps(None)</c> (hivemind/dht/protocol.py).
    /// </summary>
    public static ReadOnlyMemory<byte> RegularValueTag => Nil;

    /// <summary>
    /// The subkey tag of a whole dictionary value (an <c>Ext 0x50</c>) in a <c>StoreRequest</c>: empty, hivemind's
    /// <c>IS_DICTIONARY = b""</c> (hivemind/dht/protocol.py).
    /// </summary>
    public static ReadOnlyMemory<byte> DictionaryTag => ReadOnlyMemory<byte>.Empty;

    /// <summary>The msgpack str of <paramref name="value"/>, e.g. a base58 peer id as a subkey.</summary>
    public static byte[] Str(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Write(w => w.Write(value));
    }

    /// <summary>
    /// The msgpack form of a string DHT key, as <c>MSGPackSerializer.dumps(key)</c> writes it; its SHA-1 is the key's
    /// DHT id.
    /// </summary>
    public static byte[] Key(string key) => Str(key);

    /// <summary>The string in <paramref name="data"/> when it is exactly one msgpack str of valid UTF-8; otherwise null.</summary>
    public static string? TryReadStr(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty || data[0] is not ((>= 0xa0 and <= 0xbf) or 0xd9 or 0xda or 0xdb))
        {
            return null;
        }

        try
        {
            var reader = new MsgPackSpanReader(data);
            reader.ReadObject(1, hashable: false, "str");
            if (!reader.End)
            {
                return null;
            }
        }
        catch (DhtValueFormatException)
        {
            return null;
        }

        var headerLength = data[0] switch
        {
            0xd9 => 2,
            0xda => 3,
            0xdb => 5,
            _ => 1,
        };
        return Encoding.UTF8.GetString(data[headerLength..]);
    }

    /// <summary>
    /// True when <paramref name="data"/> is exactly one well-formed msgpack object: no trailing bytes, nothing
    /// truncated, no unused format byte, every str valid UTF-8, every tuple (<c>Ext 0x40</c>) payload exactly one
    /// array, and arrays, maps and tuples nested at most <paramref name="maxDepth"/> levels (a scalar is depth 1).
    /// Used to validate the subkey tags of a <c>StoreRequest</c>. Other ext payloads are not inspected.
    /// </summary>
    /// <param name="data">The bytes to check.</param>
    /// <param name="maxDepth">The deepest nesting accepted; at least 1.</param>
    /// <param name="error">Why the check failed; null when it succeeded.</param>
    public static bool IsSingleObject(ReadOnlySpan<byte> data, int maxDepth, out string? error)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxDepth);
        return Check(data, maxDepth, hashable: false, "object", out error);
    }

    /// <summary>
    /// True when <paramref name="subkey"/> is a subkey hivemind can store: exactly one well-formed msgpack object (see
    /// <see cref="IsSingleObject"/>) of at most <see cref="DhtValueLimits.MaxSubkeyBytes"/> bytes, not nil (nil is the
    /// <see cref="RegularValueTag"/>), and hashable in Python after decoding: no array or map at any level outside
    /// other ext payloads (Python loads those as <c>list</c>/<c>dict</c>, and <c>DictionaryDHTValue.store</c> fails on
    /// them), and no dictionary value (<c>Ext 0x50</c>).
    /// </summary>
    /// <param name="subkey">The subkey's msgpack bytes.</param>
    /// <param name="limits">The size and depth bounds.</param>
    /// <param name="error">Why the check failed; null when it succeeded.</param>
    public static bool IsValidSubkey(ReadOnlySpan<byte> subkey, DhtValueLimits limits, out string? error)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        if (subkey.Length > limits.MaxSubkeyBytes)
        {
            error = $"subkey is {subkey.Length} bytes, more than {limits.MaxSubkeyBytes}.";
            return false;
        }

        if (subkey.Length > 0 && subkey[0] == 0xc0)
        {
            error = "subkey is nil.";
            return false;
        }

        return Check(subkey, limits.MaxDepth, hashable: true, "subkey", out error);
    }

    /// <summary>Runs <paramref name="write"/> over a fresh buffer and returns the bytes it wrote.</summary>
    public static byte[] Write(Action<DhtMsgPackWriter> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var buffer = new ArrayBufferWriter<byte>();
        write(new DhtMsgPackWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static bool Check(ReadOnlySpan<byte> data, int maxDepth, bool hashable, string what, out string? error)
    {
        try
        {
            var reader = new MsgPackSpanReader(data);
            reader.ReadObject(maxDepth, hashable, what);
            if (!reader.End)
            {
                error = $"{what}: trailing bytes: {reader.Remaining} after the first object.";
                return false;
            }
        }
        catch (DhtValueFormatException e)
        {
            error = e.Message;
            return false;
        }

        error = null;
        return true;
    }
}
