// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Contracts.Scaling;

/// <summary>
/// The Redis keys of a worker pool, shared by the inference-workers that register in it and the p2p-gateway that routes
/// to it. A pool is named (default <see cref="DefaultPool"/>); nodes that share one Redis give their pools different
/// names.
/// </summary>
public static class WorkerRegistryKeys
{
    /// <summary>The pool the inference-workers register in unless configured otherwise.</summary>
    public const string DefaultPool = "inference-worker";

    /// <summary>The prefix of every pool key.</summary>
    public const string Prefix = "kwaainet:pool:";

    /// <summary>The longest pool or worker name.</summary>
    public const int MaxNameLength = 128;

    /// <summary>The set of worker ids that registered in <paramref name="pool"/> (an index: an id whose entry expired is stale).</summary>
    public static string Members(string pool) => Prefix + pool + ":workers";

    /// <summary>The entry of one worker (a <see cref="WorkerRegistration"/> as JSON), with a time to live.</summary>
    public static string Worker(string pool, string workerId) => Prefix + pool + ":worker:" + workerId;

    /// <summary>The worker id that serves a remote peer's unary calls of one protocol, with an idle time to live.</summary>
    public static string Affinity(string pool, string peerId, string protocol) => Prefix + pool + ":affinity:" + peerId + ":" + protocol;

    /// <summary>True for 1 to <see cref="MaxNameLength"/> ASCII letters, digits, '.', '_' or '-' (a pool name or a worker id).</summary>
    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
