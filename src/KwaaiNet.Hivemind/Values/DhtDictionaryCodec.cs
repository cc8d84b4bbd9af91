// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;

namespace KwaaiNet.Hivemind.Values;

/// <summary>
/// hivemind's dictionary value on the wire (<c>DictionaryDHTValue.packb/unpackb</c>, hivemind/dht/storage.py):
/// <c>Ext 0x50</c> wrapping <c>msgpack([maxsize, latest_expiration_time, [[subkey, value, expiration], ...]])</c>. This
/// is what <c>rpc_find</c> returns as a <c>FOUND_DICTIONARY</c> value and what a <c>StoreRequest</c> carries under
/// the empty subkey tag.
/// </summary>
public static class DhtDictionaryCodec
{
    /// <summary>
    /// Encodes a dictionary value byte for byte as Python's <c>MSGPackSerializer.dumps(DictionaryDHTValue)</c> does.
    /// Each subkey is written inline as the msgpack object it already is (for Petals and KwaaiNet a str peer id;
    /// wrapping it in bin breaks Python readers, which compare subkeys with str keys), each value as bin, and the
    /// expirations as float64. Entries are written in the collection's order (Python writes dict insertion order).
    /// </summary>
    /// <param name="entries">The entries; each subkey must be one msgpack object, not nil.</param>
    /// <param name="latestExpirationTime">The dictionary's latest expiration (Python tracks it separately from the
    /// entries; negative infinity for an empty dictionary).</param>
    /// <param name="maxSize">The size bound: null (or positive infinity) for unbounded, written as float64
    /// <c>inf</c> as Python writes <c>float("inf")</c>; otherwise a whole number of at least 1, written as an int as
    /// Python writes an int <c>maxsize</c>.</param>
    /// <returns>The <c>Ext 0x50</c> object.</returns>
    /// <exception cref="ArgumentException">A subkey is not one msgpack object, or is nil.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSize"/> is not null, infinity or a whole
    /// number of at least 1.</exception>
    public static byte[] Encode(IReadOnlyCollection<DhtDictionaryEntry> entries, double latestExpirationTime, double? maxSize = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (maxSize is { } bound && !double.IsPositiveInfinity(bound) && !(bound >= 1 && bound <= (1L << 53) && Math.Floor(bound) == bound))
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "A dictionary's size bound is null, infinity or a whole number of at least 1.");
        }

        var payload = new ArrayBufferWriter<byte>();
        var writer = new DhtMsgPackWriter(payload);
        writer.WriteArrayHeader(3);
        if (maxSize is null or double.PositiveInfinity)
        {
            writer.Write(double.PositiveInfinity);
        }
        else
        {
            writer.Write((ulong)maxSize.Value);
        }

        writer.Write(latestExpirationTime);
        writer.WriteArrayHeader(entries.Count);
        var index = 0;
        foreach (var entry in entries)
        {
            ArgumentNullException.ThrowIfNull(entry, nameof(entries));
            var subkey = entry.Subkey.Span;
            if (!DhtMsgPack.IsSingleObject(subkey, DhtMsgPackWriter.MaxEncodedDepth, out var error) || subkey[0] == 0xc0)
            {
                throw new ArgumentException($"Entry {index}: the subkey is not one non-nil msgpack object ({error ?? "nil"}).", nameof(entries));
            }

            writer.WriteArrayHeader(3);
            writer.WriteEncoded(subkey);
            writer.WriteBin(entry.Value.Span);
            writer.Write(entry.ExpirationTime);
            index++;
        }

        if (index != entries.Count)
        {
            throw new ArgumentException($"The collection reported {entries.Count} entries but yielded {index}.", nameof(entries));
        }

        var output = new ArrayBufferWriter<byte>(payload.WrittenCount + 6);
        new DhtMsgPackWriter(output).WriteExt(MsgPackSpanReader.DictionaryExtType, payload.WrittenSpan);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Decodes a dictionary value strictly: exactly one <c>Ext 0x50</c> filling the whole input, whose payload is exactly
    /// one 3-element array <c>[maxsize, latest_expiration_time, items]</c>; maxsize a number or nil; each item
    /// <c>[subkey, value, expiration]</c> with a subkey that is one hashable msgpack object other than nil (see
    /// <see cref="DhtMsgPack.IsValidSubkey"/>), a bin value and a numeric expiration. A bin subkey whose content is
    /// exactly one msgpack str is read as that str (KwaaiNet once wrote subkeys so). Of two entries with the same
    /// subkey the one with the strictly later expiration wins, in the first one's place, as Python's
    /// <c>TimedStorage.store</c> keeps it (hivemind/utils/timed_storage.py).
    /// </summary>
    /// <param name="data">The encoded value.</param>
    /// <param name="limits">The bounds on entries, subkeys, values and nesting.</param>
    /// <returns>The decoded dictionary.</returns>
    /// <exception cref="DhtValueFormatException">The input is not such a value; the message says what is wrong and
    /// where (items are numbered from 0).</exception>
    public static DecodedDictionary Decode(ReadOnlySpan<byte> data, DhtValueLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();

        var outer = new MsgPackSpanReader(data);
        var payload = outer.ReadExt("dictionary value", out var type);
        if (type != MsgPackSpanReader.DictionaryExtType)
        {
            throw new DhtValueFormatException($"dictionary value has ext type 0x{(byte)type:x2}, expected 0x50.");
        }

        if (!outer.End)
        {
            throw new DhtValueFormatException($"dictionary value: trailing bytes: {outer.Remaining} after the ext.");
        }

        var reader = new MsgPackSpanReader(payload);
        var fields = reader.ReadArrayHeader("dictionary payload");
        if (fields != 3)
        {
            throw new DhtValueFormatException($"dictionary payload has {fields} elements, expected 3 [maxsize, latest_expiration_time, items].");
        }

        var maxSize = ReadMaxSize(ref reader);
        var latest = reader.ReadNumber("dictionary latest expiration time");
        if (double.IsNaN(latest))
        {
            throw new DhtValueFormatException("dictionary latest expiration time is NaN.");
        }

        var count = reader.ReadArrayHeader("dictionary items");
        if (count > limits.MaxEntries)
        {
            throw new DhtValueFormatException($"dictionary has {count} items, more than {limits.MaxEntries} entries.");
        }

        var entries = new List<DhtDictionaryEntry>(count);
        var positions = new Dictionary<ReadOnlyMemory<byte>, int>(count, SubkeyComparer.Instance);
        for (var i = 0; i < count; i++)
        {
            var entry = ReadItem(ref reader, i, limits);
            if (!positions.TryGetValue(entry.Subkey, out var position))
            {
                positions.Add(entry.Subkey, entries.Count);
                entries.Add(entry);
            }
            else if (entry.ExpirationTime > entries[position].ExpirationTime)
            {
                entries[position] = entry;
            }
        }

        if (!reader.End)
        {
            throw new DhtValueFormatException($"dictionary payload: trailing bytes: {reader.Remaining} after the items.");
        }

        return new DecodedDictionary(maxSize, latest, entries);
    }

    private static double ReadMaxSize(ref MsgPackSpanReader reader)
    {
        // KwaaiNet writes nil; Python reads any falsy bound (None, 0) as unbounded: `maxsize or float("inf")`
        // (TimedStorage.__init__, hivemind/utils/timed_storage.py).
        if (reader.TryReadNil())
        {
            return double.PositiveInfinity;
        }

        var maxSize = reader.ReadNumber("dictionary maxsize");
        if (double.IsNaN(maxSize) || maxSize < 0)
        {
            throw new DhtValueFormatException($"dictionary maxsize is {maxSize}, expected a non-negative number or nil.");
        }

        return maxSize == 0 ? double.PositiveInfinity : maxSize;
    }

    private static DhtDictionaryEntry ReadItem(ref MsgPackSpanReader reader, int index, DhtValueLimits limits)
    {
        var where = $"dictionary item {index}";
        var length = reader.ReadArrayHeader(where);
        if (length != 3)
        {
            throw new DhtValueFormatException($"{where} has {length} elements, expected 3 [subkey, value, expiration].");
        }

        var subkey = ReadSubkey(ref reader, where, limits);

        var value = reader.ReadBin($"{where}: value");
        if (value.Length > limits.MaxValueBytes)
        {
            throw new DhtValueFormatException($"{where}: value is {value.Length} bytes, more than {limits.MaxValueBytes}.");
        }

        var expiration = reader.ReadNumber($"{where}: expiration");
        if (double.IsNaN(expiration))
        {
            throw new DhtValueFormatException($"{where}: expiration is NaN.");
        }

        return new DhtDictionaryEntry(subkey, value.ToArray(), expiration);
    }

    private static byte[] ReadSubkey(ref MsgPackSpanReader reader, string where, DhtValueLimits limits)
    {
        var what = $"{where}: subkey";
        if (reader.Peek(what) == 0xc0)
        {
            throw new DhtValueFormatException($"{what} is nil.");
        }

        var subkey = reader.ReadObject(limits.MaxDepth, hashable: true, what);
        if (subkey.Length > limits.MaxSubkeyBytes)
        {
            throw new DhtValueFormatException($"{what} is {subkey.Length} bytes, more than {limits.MaxSubkeyBytes}.");
        }

        // A bin whose content is exactly one msgpack str stands for that str (shard_cmd.rs::discover_chain reads both;
        // see kwaainet-upstream.md §4.6). Any other bin is a bin subkey, kept as it is.
        if (subkey[0] is 0xc4 or 0xc5 or 0xc6)
        {
            var content = new MsgPackSpanReader(subkey).ReadBin(what);
            if (DhtMsgPack.TryReadStr(content) is not null)
            {
                return content.ToArray();
            }
        }

        return subkey.ToArray();
    }

    /// <summary>Compares subkeys by their msgpack bytes.</summary>
    private sealed class SubkeyComparer : IEqualityComparer<ReadOnlyMemory<byte>>
    {
        public static readonly SubkeyComparer Instance = new();

        public bool Equals(ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span);

        public int GetHashCode(ReadOnlyMemory<byte> obj)
        {
            var hash = new HashCode();
            hash.AddBytes(obj.Span);
            return hash.ToHashCode();
        }
    }
}
