// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>
/// Health probes that speak each server's protocol on its real (target) port: a proxied endpoint accepts TCP
/// before the server is up, so a bare connect would report healthy too early.
/// </summary>
internal static class ServerProbes
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private static readonly byte[] EpmdNamesRequest = [0, 1, 110];

    /// <summary>Redis answers <c>PING</c> with <c>+PONG</c>.</summary>
    public static async Task<HealthCheckResult> RedisAsync(int? port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, "PING\r\n"u8.ToArray(), 7, cancellationToken);
        return reply.Error is not null ? HealthCheckResult.Unhealthy(reply.Error)
            : Encoding.ASCII.GetString(reply.Bytes).StartsWith("+PONG", StringComparison.Ordinal) ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"redis answered '{Encoding.ASCII.GetString(reply.Bytes).Trim()}' to PING");
    }

    /// <summary>
    /// RabbitMQ answers the AMQP 0-9-1 protocol header with a Connection.Start method frame (frame type 1,
    /// channel 0, class 10, method 10; AMQP 0-9-1 §4.2.3), which it sends only once the broker has booted.
    /// </summary>
    public static async Task<HealthCheckResult> RabbitMqAsync(int? port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, "AMQP\0\0\u0009\u0001"u8.ToArray(), 11, cancellationToken);
        if (reply.Error is not null)
        {
            return HealthCheckResult.Unhealthy(reply.Error);
        }

        var b = reply.Bytes;
        return b.Length >= 11 && b[0] == 1 && b[1] == 0 && b[2] == 0 && b[7] == 0 && b[8] == 10 && b[9] == 0 && b[10] == 10
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy("rabbitmq did not answer the AMQP 0-9-1 header with Connection.Start");
    }

    /// <summary>
    /// epmd answers a NAMES_REQ (a 2-byte big-endian length, then the request byte 110) with its own port as a 4-byte
    /// big-endian integer, followed by one line per registered node (Erlang distribution protocol, "EPMD Protocol").
    /// A bare TCP connect would do too, since epmd is not proxied, but the reply also proves it is epmd on that port.
    /// </summary>
    public static async Task<HealthCheckResult> EpmdAsync(int? port, CancellationToken cancellationToken)
    {
        var reply = await ExchangeAsync(port, EpmdNamesRequest, 4, cancellationToken);
        if (reply.Error is not null)
        {
            return HealthCheckResult.Unhealthy(reply.Error);
        }

        if (reply.Bytes.Length < 4)
        {
            return HealthCheckResult.Unhealthy($"epmd answered NAMES_REQ with {reply.Bytes.Length} bytes, not its 4-byte port");
        }

        var answered = BinaryPrimitives.ReadInt32BigEndian(reply.Bytes);
        return answered == port
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"epmd answered NAMES_REQ with port {answered}, not {port}");
    }

    private static async Task<(byte[] Bytes, string? Error)> ExchangeAsync(int? port, byte[] request, int replyBytes, CancellationToken cancellationToken)
    {
        if (port is not { } p)
        {
            return ([], "no port allocated yet");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", p, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync(request, timeout.Token);
            var buffer = new byte[replyBytes];
            var read = 0;
            while (read < buffer.Length)
            {
                var n = await stream.ReadAsync(buffer.AsMemory(read), timeout.Token);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            return (buffer[..read], null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return ([], $"no answer on 127.0.0.1:{p} within {Timeout.TotalSeconds:0} s");
        }
        catch (SocketException ex)
        {
            return ([], $"127.0.0.1:{p}: {ex.Message}");
        }
        catch (IOException ex)
        {
            return ([], $"127.0.0.1:{p}: {ex.Message}");
        }
    }
}
