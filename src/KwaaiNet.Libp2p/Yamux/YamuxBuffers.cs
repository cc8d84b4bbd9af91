// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;

namespace KwaaiNet.Libp2p.Yamux;

/// <summary>
/// The pool behind every yamux frame buffer: outbound frames (rented by the writing stream, returned by the session's
/// write loop) and received payloads (rented by the read loop, returned by the stream's reader).
/// </summary>
/// <remarks>
/// Not <see cref="ArrayPool{T}.Shared"/>: its per-core caches keep a few dozen arrays per size, while a stream with a
/// grown window (16 MiB) has a few hundred 64 KiB frames in flight, each rented on one thread and returned on
/// another; the shared pool then drops most returns and a bulk transfer allocates a new 64 KiB array every few
/// frames. This pool keeps up to <see cref="ArraysPerBucket"/> arrays per size up to <see cref="MaxArrayLength"/>
/// (the largest frame, header and payload, in a Noise frame): at most about 16 MiB retained process-wide, and only
/// once that many frames were in flight at the same time.
/// </remarks>
internal static class YamuxBuffers
{
    /// <summary>The largest array the pool keeps: 64 KiB, a full data frame (12 + 65507 bytes) fits.</summary>
    public const int MaxArrayLength = 64 * 1024;

    /// <summary>Arrays kept per size.</summary>
    public const int ArraysPerBucket = 128;

    public static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxArrayLength, ArraysPerBucket);
}
