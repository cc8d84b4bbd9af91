// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;
using KwaaiNet.Petals.Gateway;
using KwaaiNet.Petals.Records;
using KwaaiNet.Petals.Serving;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Petals.Client;

/// <summary>
/// Opens <see cref="PetalsSpanSession"/>s: a stream on <c>TransformerConnectionHandler.rpc_inference</c> through the
/// node's gateway, within <see cref="ClientOptions.ConnectTimeout"/> (petals' <c>connect_timeout</c>).
/// </summary>
internal sealed class PetalsSpanSessionFactory(INodeGateway gateway, IOptions<ClientOptions> options) : IRemoteSpanSessionFactory
{
    private readonly ClientOptions _options = options.Value;

    public SpanProtocol Protocol => SpanProtocol.Petals;

    public async Task<IRemoteSpanSession> OpenAsync(RouteSpan span, string dhtPrefix, int maxLength, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(span);
        var uids = string.Join(ModuleUid.ChainDelimiter, ModuleUid.ForSpan(dhtPrefix, span.Start, span.End));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ConnectTimeout);
        Stream stream;
        try
        {
            stream = await gateway.OpenStreamAsync(span.PeerId, PetalsProtocols.Inference, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RemoteSpanException(string.Create(
                CultureInfo.InvariantCulture, $"Opening {PetalsProtocols.Inference} to {span.PeerId} took more than {_options.ConnectTimeout.TotalSeconds} s."));
        }
        catch (Exception ex) when (ex is PeerCallException or GatewayUnavailableException or ArgumentException)
        {
            throw new RemoteSpanException(ex.Message, ex);
        }

        return new PetalsSpanSession(stream, span, uids, maxLength, _options.RequestTimeout, _options.MaxResponseBytes);
    }
}
