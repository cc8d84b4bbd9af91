// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace KwaaiNet.Contracts.Scaling;

/// <summary>
/// One inference-worker replica as it registers itself in Redis (under <see cref="WorkerRegistryKeys.Worker"/>, with a
/// time to live that its refreshes renew), so that the p2p-gateway can route each session straight to the replica that
/// holds its KV cache.
/// </summary>
/// <param name="WorkerId">The replica (stable for the life of its process).</param>
/// <param name="Endpoint">The replica's own gRPC (HTTP/2) endpoint, dialled directly: no proxy, no load balancer.</param>
/// <param name="OpenSessions">The sessions the replica holds now (KV caches in use).</param>
/// <param name="UpdatedAt">When the replica wrote this entry.</param>
public sealed record WorkerRegistration(string WorkerId, Uri Endpoint, int OpenSessions, DateTimeOffset UpdatedAt)
{
    /// <summary>The largest encoded entry a reader accepts; anything longer is not ours.</summary>
    public const int MaxEncodedLength = 4096;

    /// <summary>The entry as stored in Redis: UTF-8 JSON with camelCase names.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, JsonSerializerOptions.Web);

    /// <summary>
    /// Reads a stored entry. False for anything that is not a whole, valid entry: too long, not JSON, a bad worker id
    /// (<see cref="WorkerRegistryKeys.IsValidName"/>), an endpoint that is not an absolute http(s) address, or a
    /// negative session count.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> json, [NotNullWhen(true)] out WorkerRegistration? registration)
    {
        registration = null;
        if (json.IsEmpty || json.Length > MaxEncodedLength)
        {
            return false;
        }

        WorkerRegistration? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<WorkerRegistration>(json, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return false;
        }

        if (parsed is null
            || !WorkerRegistryKeys.IsValidName(parsed.WorkerId)
            || parsed.Endpoint is not { IsAbsoluteUri: true }
            || (parsed.Endpoint.Scheme != Uri.UriSchemeHttp && parsed.Endpoint.Scheme != Uri.UriSchemeHttps)
            || parsed.OpenSessions < 0)
        {
            return false;
        }

        registration = parsed;
        return true;
    }
}
