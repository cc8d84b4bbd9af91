// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// The 12-byte yamux frame header, all fields big-endian: Version u8 | Type u8 | Flags u16 | StreamID u32 |
/// Length u32 (research §2.6).
/// </summary>
internal readonly record struct YamuxHeader(byte Version, YamuxFrameType Type, YamuxFlags Flags, uint StreamId, uint Length)
{
    /// <summary>The header size in bytes.</summary>
    public const int Size = 12;

    /// <summary>The only protocol version.</summary>
    public const byte ProtocolVersion = 0;

    /// <summary>Creates a version-0 header.</summary>
    public YamuxHeader(YamuxFrameType type, YamuxFlags flags, uint streamId, uint length)
        : this(ProtocolVersion, type, flags, streamId, length)
    {
    }

    /// <summary>Writes the header into the first 12 bytes of <paramref name="destination"/>.</summary>
    public bool TryWrite(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            return false;
        }

        destination[0] = Version;
        destination[1] = (byte)Type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Flags);
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], StreamId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Length);
        return true;
    }

    /// <summary>Reads a header without validating it (the session validates version and type).</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out YamuxHeader header)
    {
        if (source.Length < Size)
        {
            header = default;
            return false;
        }

        header = new YamuxHeader(
            source[0],
            (YamuxFrameType)source[1],
            (YamuxFlags)BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[4..]),
            BinaryPrimitives.ReadUInt32BigEndian(source[8..]));
        return true;
    }
}
