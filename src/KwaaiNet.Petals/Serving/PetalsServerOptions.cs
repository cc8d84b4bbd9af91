// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Serving;

/// <summary>Petals' server protocol (<c>TransformerConnectionHandler</c>) as this worker serves it.</summary>
public sealed class PetalsServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "KwaaiNet:Petals:Server";

    /// <summary>The default largest stream message: 64 MiB (a whole prompt prefix travels in one inference step).</summary>
    public const long DefaultMaxStreamMessageBytes = 64L * 1024 * 1024;

    /// <summary>The default largest unary request: 4 MiB, p2pd's <c>-persistentConnMaxMsgSize</c> as hivemind starts it.</summary>
    public const int DefaultMaxUnaryMessageBytes = 4 * 1024 * 1024;

    /// <summary>
    /// How long an inference session waits for its next step (from the client or a push) before it ends silently.
    /// Default 300 s, Petals' <c>step_timeout</c> (<c>petals/server/server.py</c>).
    /// </summary>
    public TimeSpan StepTimeout { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>How long one inference session may last in all. Default 1800 s, Petals' <c>session_timeout</c>.</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(1800);

    /// <summary>
    /// How long a forward call may take, reading included. Default 180 s, Petals' <c>request_timeout</c>.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(180);

    /// <summary>The largest hivemind stream frame accepted, and the bound on a forward stream's total. Default 64 MiB.</summary>
    public long MaxStreamMessageBytes { get; set; } = DefaultMaxStreamMessageBytes;

    /// <summary>The largest unary request accepted. Default 4 MiB (p2pd's limit).</summary>
    public int MaxUnaryMessageBytes { get; set; } = DefaultMaxUnaryMessageBytes;
}
