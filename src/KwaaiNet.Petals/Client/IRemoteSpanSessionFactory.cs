// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Client;

/// <summary>Opens <see cref="IRemoteSpanSession"/>s over one wire protocol.</summary>
public interface IRemoteSpanSessionFactory
{
    /// <summary>The protocol the sessions speak; the client uses the factory of <see cref="ClientOptions.Protocol"/>.</summary>
    SpanProtocol Protocol { get; }

    /// <summary>
    /// Opens a session on <paramref name="span"/>'s server over its blocks of the model under <paramref name="dhtPrefix"/>,
    /// with room for <paramref name="maxLength"/> tokens.
    /// </summary>
    /// <exception cref="RemoteSpanException">The server could not be reached or refused the session.</exception>
    Task<IRemoteSpanSession> OpenAsync(RouteSpan span, string dhtPrefix, int maxLength, CancellationToken cancellationToken);
}
