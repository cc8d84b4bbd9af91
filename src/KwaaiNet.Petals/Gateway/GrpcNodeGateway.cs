// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using KwaaiNet.Contracts.Gateway.V1;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;
using Microsoft.Extensions.Logging;

namespace KwaaiNet.Petals.Gateway;

/// <summary>
/// The p2p-gateway in another process, through its gRPC API (<c>protos/kwaainet/gateway.proto</c>): Identity, Peers,
/// the bandwidth probe over OpenStream, CallUnary, and OpenStream as a <see cref="Stream"/> (<see cref="GatewayStream"/>). A gateway that does not answer is a <see cref="GatewayUnavailableException"/>.
/// </summary>
internal sealed class GrpcNodeGateway(Contracts.Gateway.V1.Gateway.GatewayClient client, ILogger<GrpcNodeGateway> logger) : INodeGateway
{
    /// <summary>The deadline of the Identity and Peers calls.</summary>
    internal static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The deadline of a unary call to a peer: Petals' <c>request_timeout</c> (180 s, <c>client/config.py</c>).</summary>
    internal static readonly TimeSpan UnaryCallTimeout = TimeSpan.FromSeconds(180);

    /// <summary>How the gateway's CallUnary prefixes a remote handler's error text in its Aborted status.</summary>
    private const string RemoteHandlerFailed = "The remote handler failed: ";

    public async Task<NodeIdentity> GetIdentityAsync(CancellationToken cancellationToken)
    {
        IdentityResponse response;
        try
        {
            response = await client.IdentityAsync(new IdentityRequest(), deadline: Deadline(CallTimeout), cancellationToken: cancellationToken);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable("Identity", ex);
        }

        return PeerId.TryParse(response.PeerId, out var peer)
            ? new NodeIdentity(peer, [.. response.ListenAddrs], [.. response.AnnounceAddrs])
            : throw new GatewayUnavailableException("The gateway answered Identity with '" + response.PeerId + "', which is not a peer id.");
    }

    public async Task<IReadOnlyList<string>> GetConnectedPeersAsync(CancellationToken cancellationToken)
    {
        try
        {
            var response = await client.PeersAsync(new PeersRequest(), deadline: Deadline(CallTimeout), cancellationToken: cancellationToken);
            return [.. response.Peers.Select(static p => p.PeerId).Where(static p => p.Length > 0).Distinct(StringComparer.Ordinal)];
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw Unavailable("Peers", ex);
        }
    }

    public async Task<double?> MeasureDownloadBitsPerSecondAsync(string peerId, CancellationToken cancellationToken)
    {
        if (!PeerId.TryParse(peerId, out _))
        {
            logger.ProbePeerInvalid(peerId);
            return null;
        }

        var request = new byte[UVarint.GetByteCount((ulong)NetworkThroughput.ProbeByteCount)];
        UVarint.TryWrite(request, (ulong)NetworkThroughput.ProbeByteCount, out _);
        try
        {
            using var call = client.OpenStream(deadline: Deadline(NetworkThroughput.ProbeTimeout), cancellationToken: cancellationToken);
            var open = new StreamOpen { PeerId = peerId };
            open.Protocols.Add(BandwidthService.ProtocolId);
            var started = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(new StreamFrame { Open = open }, cancellationToken);
            await call.RequestStream.WriteAsync(new StreamFrame { Data = ByteString.CopyFrom(request) }, cancellationToken);
            await call.RequestStream.WriteAsync(new StreamFrame { Close = new StreamClose() }, cancellationToken);
            await call.RequestStream.CompleteAsync();
            long received = 0;
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                var frame = call.ResponseStream.Current;
                if (frame.FrameCase == StreamFrame.FrameOneofCase.Data)
                {
                    received += frame.Data.Length;
                }
                else if (frame.FrameCase == StreamFrame.FrameOneofCase.Close)
                {
                    break;
                }
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            if (received != NetworkThroughput.ProbeByteCount)
            {
                logger.ProbeShort(peerId, received, NetworkThroughput.ProbeByteCount);
                return null;
            }

            var sample = new BandwidthSample(received, elapsed);
            return sample.BitsPerSecond > 0 ? sample.BitsPerSecond : null;
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (ex.StatusCode != StatusCode.DeadlineExceeded && ex.Status.DebugException is not null)
            {
                // The call never reached the gateway (no connection, or it broke): the gateway is down, not the peer.
                throw Unavailable("OpenStream", ex);
            }

            // The gateway answered: the peer could not be dialled, does not speak the protocol, or broke it.
            logger.ProbeRefused(peerId, ex.StatusCode, ex.Status.Detail);
            return null;
        }
    }

    public async Task<Stream> OpenStreamAsync(string peerId, string protocol, CancellationToken cancellationToken)
    {
        if (!PeerId.TryParse(peerId, out _))
        {
            throw new ArgumentException("'" + peerId + "' is not a peer id.", nameof(peerId));
        }

        ArgumentException.ThrowIfNullOrEmpty(protocol);

        // No deadline: the stream lives as long as its user keeps it (an inference session); disposing it ends the call.
        var call = client.OpenStream(cancellationToken: CancellationToken.None);
        try
        {
            var open = new StreamOpen { PeerId = peerId };
            open.Protocols.Add(protocol);
            await call.RequestStream.WriteAsync(new StreamFrame { Open = open }, cancellationToken);

            // The gateway answers with an open frame once the stream is open; a peer it cannot dial or that refuses the
            // protocol ends the call with an error status instead.
            if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.FrameCase != StreamFrame.FrameOneofCase.Open)
            {
                throw new PeerCallException("The gateway did not confirm the " + protocol + " stream to " + peerId + ".");
            }

            return new GatewayStream(call, peerId);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            call.Dispose();
            if (ex.StatusCode != StatusCode.DeadlineExceeded && ex.Status.DebugException is not null)
            {
                throw Unavailable("OpenStream", ex);
            }

            throw new PeerCallException("Opening " + protocol + " to " + peerId + " through the gateway failed (" + ex.StatusCode + "): " + ex.Status.Detail, ex);
        }
        catch
        {
            call.Dispose();
            throw;
        }
    }

    public async Task<ReadOnlyMemory<byte>> CallUnaryAsync(string peerId, string protocol, ReadOnlyMemory<byte> request, CancellationToken cancellationToken)
    {
        if (!PeerId.TryParse(peerId, out _))
        {
            throw new ArgumentException("'" + peerId + "' is not a peer id.", nameof(peerId));
        }

        ArgumentException.ThrowIfNullOrEmpty(protocol);
        try
        {
            var response = await client.CallUnaryAsync(
                new CallUnaryRequest { PeerId = peerId, Protocol = protocol, Data = ByteString.CopyFrom(request.Span) },
                deadline: Deadline(UnaryCallTimeout),
                cancellationToken: cancellationToken);
            return response.Data.Memory;
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (ex.StatusCode != StatusCode.DeadlineExceeded && ex.Status.DebugException is not null)
            {
                throw Unavailable("CallUnary", ex);
            }

            // The gateway reports a remote handler's error as Aborted with this prefix (GatewayGrpcService.CallAsync).
            var detail = ex.Status.Detail ?? string.Empty;
            if (ex.StatusCode == StatusCode.Aborted && detail.StartsWith(RemoteHandlerFailed, StringComparison.Ordinal))
            {
                var remote = detail[RemoteHandlerFailed.Length..];
                throw new PeerCallException("Peer " + peerId + " answered " + protocol + " with an error: " + remote, remote, ex);
            }

            throw new PeerCallException("Calling " + protocol + " on " + peerId + " through the gateway failed (" + ex.StatusCode + "): " + detail, ex);
        }
    }

    private static DateTime Deadline(TimeSpan timeout) => DateTime.UtcNow + timeout;

    private static GatewayUnavailableException Unavailable(string call, RpcException ex) =>
        new("The p2p-gateway's " + call + " call failed (" + ex.StatusCode + "): " + ex.Status.Detail, ex);
}
