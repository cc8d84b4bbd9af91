// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Diagnostics.CodeAnalysis;
using Grpc.Core;

namespace KwaaiNet.Contracts.Hosting;

/// <summary>Domain failures mapped to gRPC status codes in one place (eShop's throw helpers).</summary>
public static class GrpcStatus
{
    /// <summary>A call whose feature is not built yet: <c>Unimplemented</c>, naming the issue that builds it.</summary>
    public static RpcException NotBuiltYet(string what, int issue) =>
        new RpcException(new Status(StatusCode.Unimplemented, $"{what} is not available in this version yet (issue #{issue})."));

    /// <summary>A bad argument from the caller.</summary>
    [DoesNotReturn]
    public static void ThrowInvalidArgument(string detail) =>
        throw new RpcException(new Status(StatusCode.InvalidArgument, detail));

    /// <summary>A dependency (Redis, RabbitMQ, a peer) that cannot be reached now.</summary>
    [DoesNotReturn]
    public static void ThrowUnavailable(string detail) =>
        throw new RpcException(new Status(StatusCode.Unavailable, detail));
}
