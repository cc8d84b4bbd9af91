// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Network;
using KwaaiNet.Libp2p.Protocols.Wire;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Libp2p.Protocols;

/// <summary>Serves one unary call: the authenticated caller, the protocol and the request bytes.</summary>
public delegate Task<UnaryResult> UnaryHandler(UnaryRequest request, CancellationToken cancellationToken);

/// <summary>An inbound unary call.</summary>
/// <param name="Caller">The peer that called, as authenticated by Noise (never the id written in the message).</param>
/// <param name="Protocol">The protocol id the call arrived on, e.g. <c>DHTProtocol.rpc_ping</c>.</param>
/// <param name="Data">The serialized request.</param>
public sealed record UnaryRequest(PeerId Caller, string Protocol, ReadOnlyMemory<byte> Data);

/// <summary>A unary call's outcome: the serialized response, or an error text sent in p2pd's error arm.</summary>
public sealed record UnaryResult(ReadOnlyMemory<byte>? Response, string? Error)
{
    /// <summary>A successful reply.</summary>
    public static UnaryResult Ok(ReadOnlyMemory<byte> response) => new(response, null);

    /// <summary>A failed call; <paramref name="error"/> reaches the caller (hivemind puts the exception's repr here).</summary>
    public static UnaryResult Fail(string error) => new(null, error);
}

/// <summary>The remote handler answered a unary call with an error.</summary>
public sealed class UnaryCallException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public UnaryCallException()
        : base("The remote handler failed.")
    {
    }

    /// <summary>Creates the exception with the remote error text.</summary>
    public UnaryCallException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with the remote error text and a cause.</summary>
    public UnaryCallException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Unary calls in the on-wire format of hivemind's p2pd (research §5.4; go-libp2p-daemon persistent_stream.go): the
/// caller opens a stream on the handler's protocol id, writes one uvarint-framed <c>PersistentConnectionRequest</c>
/// with a 16-byte call id and <c>callUnary</c>, keeps its write side open, and reads one back with
/// <c>unaryResponse</c> (data or error).
/// </summary>
public sealed class UnaryCalls
{
    /// <summary>The call id length (p2pd parses it with uuid.FromBytes, which needs exactly 16 bytes).</summary>
    public const int CallIdLength = 16;

    /// <summary>Default size cap of a request or a reply (p2pd -persistentConnMaxMsgSize, 4 MiB).</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    private readonly Libp2pHost _host;
    private readonly ILogger _logger;

    /// <summary>Creates the unary call client and server for <paramref name="host"/>.</summary>
    public UnaryCalls(Libp2pHost host, ILogger<UnaryCalls> logger, int maxMessageSize = DefaultMaxMessageSize)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageSize, 1024);
        _host = host;
        _logger = logger;
        MaxMessageSize = maxMessageSize;
    }

    /// <summary>The size cap of a request or a reply, framing included.</summary>
    public int MaxMessageSize { get; }

    /// <summary>Serves unary calls on <paramref name="protocol"/>.</summary>
    public void AddHandler(string protocol, UnaryHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _host.Protocols.Add(protocol, (stream, ct) => ServeAsync(stream, handler, ct));
    }

    /// <summary>Serves unary calls on every protocol id starting with <paramref name="prefix"/>.</summary>
    public void AddPrefixHandler(string prefix, UnaryHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _host.Protocols.AddPrefix(prefix, (stream, ct) => ServeAsync(stream, handler, ct));
    }

    /// <summary>Calls <paramref name="protocol"/> on <paramref name="peer"/> and returns the serialized response.</summary>
    /// <exception cref="UnaryCallException">The remote handler answered with an error.</exception>
    /// <exception cref="Libp2pProtocolException">The reply is malformed, too large or for another call.</exception>
    public async Task<byte[]> CallAsync(PeerId peer, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentException.ThrowIfNullOrEmpty(protocol);
        var callId = RandomNumberGenerator.GetBytes(CallIdLength);
        var frame = EncodeRequest(callId, peer, protocol, request.Span);
        if (frame.Length > MaxMessageSize)
        {
            throw new ArgumentException("The request of " + request.Length + " bytes exceeds the unary size cap of " + MaxMessageSize + " bytes.", nameof(request));
        }

        await using var stream = await _host.OpenStreamAsync(peer, [protocol], cancellationToken).ConfigureAwait(false);

        // Never half-close before the reply: p2pd reads one more byte after the request and treats EOF as a
        // cancellation, after which it never answers (research §5.4 step 4).
        await LengthPrefixed.WriteAsync(stream.Stream, frame, cancellationToken).ConfigureAwait(false);
        var bytes = await LengthPrefixed.ReadAsync(stream.Stream, MaxMessageSize, cancellationToken).ConfigureAwait(false)
            ?? throw new Libp2pProtocolException("Peer " + peer + " closed the " + protocol + " stream without a reply.");
        var reply = ParseFrame(bytes);
        if (!reply.CallId.Span.SequenceEqual(callId))
        {
            throw new Libp2pProtocolException("The reply on " + protocol + " is for another call id.");
        }

        if (reply.MessageCase != PersistentConnectionRequest.MessageOneofCase.UnaryResponse)
        {
            throw new Libp2pProtocolException("The reply on " + protocol + " carries " + reply.MessageCase + " instead of unaryResponse.");
        }

        return reply.UnaryResponse.ResultCase switch
        {
            CallUnaryResponse.ResultOneofCase.Response => reply.UnaryResponse.Response.ToByteArray(),
            CallUnaryResponse.ResultOneofCase.Error => throw new UnaryCallException(Encoding.UTF8.GetString(reply.UnaryResponse.Error.Span)),
            _ => throw new Libp2pProtocolException("The reply on " + protocol + " has neither a response nor an error."),
        };
    }

    /// <summary>Encodes a request message (without its length prefix); proto2 required fields are always written.</summary>
    public static byte[] EncodeRequest(ReadOnlySpan<byte> callId, PeerId target, string protocol, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(target);
        return new PersistentConnectionRequest
        {
            CallId = ByteString.CopyFrom(callId),
            CallUnary = new CallUnaryRequest
            {
                Peer = ByteString.CopyFrom(target.Multihash.Span),
                Proto = protocol,
                Data = ByteString.CopyFrom(data),
            },
        }.ToByteArray();
    }

    /// <summary>Encodes a reply message (without its length prefix): exactly one of response and error.</summary>
    public static byte[] EncodeReply(ReadOnlySpan<byte> callId, UnaryResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var response = new CallUnaryResponse();
        if (result.Error is not null)
        {
            response.Error = ByteString.CopyFromUtf8(result.Error);
        }
        else
        {
            response.Response = ByteString.CopyFrom((result.Response ?? ReadOnlyMemory<byte>.Empty).Span);
        }

        return new PersistentConnectionRequest { CallId = ByteString.CopyFrom(callId), UnaryResponse = response }.ToByteArray();
    }

    private async Task ServeAsync(PeerStream stream, UnaryHandler handler, CancellationToken cancellationToken)
    {
        var bytes = await LengthPrefixed.ReadAsync(stream.Stream, MaxMessageSize, cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return;
        }

        PersistentConnectionRequest request;
        try
        {
            request = ParseFrame(bytes);
            if (request.CallId.Length != CallIdLength)
            {
                throw new Libp2pProtocolException("A unary call needs a " + CallIdLength + "-byte call id; this one has " + request.CallId.Length + " bytes.");
            }

            if (request.MessageCase != PersistentConnectionRequest.MessageOneofCase.CallUnary)
            {
                throw new Libp2pProtocolException("A unary call stream must start with callUnary, not " + request.MessageCase + ".");
            }
        }
        catch (Libp2pProtocolException ex)
        {
            _logger.UnaryRejected(stream.RemotePeer, stream.Protocol, ex.Message);
            throw;
        }

        UnaryResult result;
        try
        {
            result = await handler(new UnaryRequest(stream.RemotePeer, stream.Protocol, request.CallUnary.Data.Memory), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // The caller gets the failure in the error arm, as p2pd reports a Python handler's exception.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            result = UnaryResult.Fail(ex.GetType().Name + "('" + ex.Message + "')");
        }

        var reply = EncodeReply(request.CallId.Span, result);
        if (reply.Length > MaxMessageSize)
        {
            reply = EncodeReply(request.CallId.Span, UnaryResult.Fail("The response of " + reply.Length + " bytes exceeds the unary size cap of " + MaxMessageSize + " bytes."));
        }

        await LengthPrefixed.WriteAsync(stream.Stream, reply, cancellationToken).ConfigureAwait(false);
        await stream.CompleteWritesAsync().ConfigureAwait(false);
    }

    private static PersistentConnectionRequest ParseFrame(byte[] bytes)
    {
        try
        {
            return PersistentConnectionRequest.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new Libp2pProtocolException("Malformed unary call frame: " + ex.Message, ex);
        }
    }
}
