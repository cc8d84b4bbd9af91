// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// Hand-written codec for the two-field proto2 key messages shared by <c>PublicKey</c> and
/// <c>PrivateKey</c> (libp2p specs, peer-ids/peer-ids.md §Keys):
/// <c>{ required KeyType Type = 1; required bytes Data = 2; }</c>.
/// The spec requires a deterministic encoding because peer ids hash these bytes, so the writer always
/// emits Type then Data with minimal varints and nothing else. The reader is strict and bounded: both
/// fields exactly once, no unknown fields, minimal varints, and at most <see cref="MaxDataLength"/> data bytes.
/// </summary>
internal static class KeyProtobuf
{
    /// <summary>Largest Data field accepted; an RSA-8192 PKCS#1 key is under 5 KiB.</summary>
    public const int MaxDataLength = 8 * 1024;

    // Protobuf tags: (field number << 3) | wire type.
    private const int TypeField = 1;
    private const int DataField = 2;
    private const int WireVarint = 0;
    private const int WireLengthDelimited = 2;
    private const byte TypeTag = (TypeField << 3) | WireVarint;
    private const byte DataTag = (DataField << 3) | WireLengthDelimited;

    public static int GetEncodedLength(KeyType type, int dataLength) =>
        1 + UVarint.GetByteCount((ulong)type) + 1 + UVarint.GetByteCount((ulong)dataLength) + dataLength;

    public static bool TryWrite(KeyType type, ReadOnlySpan<byte> data, Span<byte> destination, out int written)
    {
        written = 0;
        if (destination.Length < GetEncodedLength(type, data.Length))
        {
            return false;
        }

        var n = 0;
        destination[n++] = TypeTag;
        UVarint.TryWrite(destination[n..], (ulong)type, out var w);
        n += w;
        destination[n++] = DataTag;
        UVarint.TryWrite(destination[n..], (ulong)data.Length, out w);
        n += w;
        data.CopyTo(destination[n..]);
        written = n + data.Length;
        return true;
    }

    public static byte[] Encode(KeyType type, ReadOnlySpan<byte> data)
    {
        var result = new byte[GetEncodedLength(type, data.Length)];
        TryWrite(type, data, result, out _);
        return result;
    }

    /// <summary>Checks the invariants every key message must satisfy; returns null when valid.</summary>
    public static string? Validate(KeyType type, int dataLength)
    {
        if (!Enum.IsDefined(type))
        {
            return string.Format(CultureInfo.InvariantCulture, "unknown key type {0}", (int)type);
        }

        if (dataLength == 0)
        {
            return "the key data is empty";
        }

        if (dataLength > MaxDataLength)
        {
            return string.Format(
                CultureInfo.InvariantCulture, "the key data is {0} bytes; at most {1} are accepted", dataLength, MaxDataLength);
        }

        return null;
    }

    /// <summary>
    /// Decodes a key message that must span all of <paramref name="source"/>. On failure
    /// <paramref name="error"/> says why, for the throwing wrappers' messages.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out KeyType type, out ReadOnlySpan<byte> data, out string? error)
    {
        type = default;
        data = default;
        var haveType = false;
        var haveData = false;
        var offset = 0;
        while (offset < source.Length)
        {
            if (!UVarint.TryRead(source[offset..], out var tag, out var consumed))
            {
                error = "truncated or malformed field tag";
                return false;
            }

            offset += consumed;
            var field = tag >> 3;
            var wire = (int)(tag & 7);
            switch (field)
            {
                case TypeField:
                    if (wire != WireVarint)
                    {
                        error = "field 1 (Type) has the wrong wire type";
                        return false;
                    }

                    if (haveType)
                    {
                        error = "field 1 (Type) appears more than once";
                        return false;
                    }

                    if (!UVarint.TryRead(source[offset..], out var rawType, out consumed))
                    {
                        error = "truncated or malformed Type varint";
                        return false;
                    }

                    offset += consumed;
                    if (rawType > int.MaxValue || !Enum.IsDefined((KeyType)(int)rawType))
                    {
                        error = string.Format(CultureInfo.InvariantCulture, "unknown key type {0}", rawType);
                        return false;
                    }

                    type = (KeyType)(int)rawType;
                    haveType = true;
                    break;

                case DataField:
                    if (wire != WireLengthDelimited)
                    {
                        error = "field 2 (Data) has the wrong wire type";
                        return false;
                    }

                    if (haveData)
                    {
                        error = "field 2 (Data) appears more than once";
                        return false;
                    }

                    if (!UVarint.TryRead(source[offset..], out var length, out consumed))
                    {
                        error = "truncated or malformed Data length";
                        return false;
                    }

                    offset += consumed;
                    if (length > MaxDataLength)
                    {
                        error = string.Format(
                            CultureInfo.InvariantCulture, "the key data is {0} bytes; at most {1} are accepted", length, MaxDataLength);
                        return false;
                    }

                    if ((ulong)(source.Length - offset) < length)
                    {
                        error = string.Format(
                            CultureInfo.InvariantCulture,
                            "truncated: Data declares {0} bytes but {1} remain",
                            length,
                            source.Length - offset);
                        return false;
                    }

                    data = source.Slice(offset, (int)length);
                    offset += (int)length;
                    haveData = true;
                    break;

                default:
                    error = string.Format(CultureInfo.InvariantCulture, "unknown field number {0}", field);
                    return false;
            }
        }

        if (!haveType || !haveData)
        {
            error = !haveType ? "the required field 1 (Type) is missing" : "the required field 2 (Data) is missing";
            return false;
        }

        error = Validate(type, data.Length);
        return error is null;
    }
}
