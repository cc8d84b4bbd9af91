// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Grpc.Core;
using KwaaiNet.Inference.Sessions;

namespace KwaaiNet.Inference.Hosting;

/// <summary>The worker's failures as gRPC status codes, in one place.</summary>
internal static class InferenceStatus
{
    /// <summary>The status for a failure of a session operation or of the caller's input.</summary>
    public static RpcException From(Exception exception) => exception switch
    {
        RpcException rpc => rpc,
        ArgumentException e => new RpcException(new Status(StatusCode.InvalidArgument, e.Message)),
        InferenceSessionException e => new RpcException(new Status(
            e.Error switch
            {
                InferenceSessionError.CacheBudgetExceeded => StatusCode.ResourceExhausted,
                InferenceSessionError.MaxLengthExceeded => StatusCode.OutOfRange,
                InferenceSessionError.StepTimedOut => StatusCode.DeadlineExceeded,
                _ => StatusCode.FailedPrecondition,
            },
            e.Message)),
        _ => new RpcException(new Status(StatusCode.Internal, exception.Message)),
    };

    /// <summary>The worker serves nothing now: <c>Unavailable</c> while loading or waiting for a span (retry later), <c>FailedPrecondition</c> when it failed.</summary>
    public static RpcException NotServing(WorkerStatus status) => status.State is WorkerState.Loading or WorkerState.Waiting
        ? new RpcException(new Status(StatusCode.Unavailable, $"the inference-worker is not ready yet: {status.Detail}"))
        : new RpcException(new Status(StatusCode.FailedPrecondition, $"the inference-worker serves no blocks: {status.Detail}"));
}
