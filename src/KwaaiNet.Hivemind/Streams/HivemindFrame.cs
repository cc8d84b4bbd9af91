// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Protos;

namespace KwaaiNet.Hivemind.Streams;

/// <summary>
/// One frame of a hivemind protobuf stream (hivemind's <c>P2P.send_protobuf</c>/<c>receive_protobuf</c>):
/// <c>marker(1) || length(8, unsigned big-endian) || payload(length)</c>.
/// </summary>
/// <param name="Kind">The marker: a message or an error.</param>
/// <param name="Payload">The serialized message, or the serialized <see cref="RPCError"/> of an error frame.</param>
public sealed record HivemindFrame(HivemindFrameKind Kind, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The size of the frame header: one marker byte and the 8-byte length.</summary>
    public const int HeaderLength = 9;

    /// <summary>Parses the payload of a message frame as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The handler's request or response type.</typeparam>
    /// <param name="parser">The message type's parser.</param>
    /// <returns>The message.</returns>
    /// <exception cref="InvalidOperationException">The frame is an error frame.</exception>
    /// <exception cref="InvalidProtocolBufferException">The payload is not a valid message.</exception>
    public T ParseMessage<T>(MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(parser);
        return Kind == HivemindFrameKind.Message
            ? parser.ParseFrom(Payload.Span)
            : throw new InvalidOperationException("The frame is an error frame, not a message frame.");
    }

    /// <summary>
    /// Parses the payload of an error frame. An <see cref="RPCError"/> without <c>message</c> is END_OF_STREAM,
    /// which a client sends when its requests are done (a server treats any error frame from the client as the end).
    /// </summary>
    /// <returns>The error.</returns>
    /// <exception cref="InvalidOperationException">The frame is a message frame.</exception>
    /// <exception cref="InvalidProtocolBufferException">The payload is not a valid RPCError.</exception>
    public RPCError ParseError() => Kind == HivemindFrameKind.Error
        ? RPCError.Parser.ParseFrom(Payload.Span)
        : throw new InvalidOperationException("The frame is a message frame, not an error frame.");
}
