// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Contracts.Scaling;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>
/// Checks each inbound route's address: an absolute <c>http(s)://</c> service address, or <c>pool://{name}</c> with a
/// valid pool name on a gateway that has Redis (where the pool's workers register).
/// </summary>
internal sealed class InboundRoutesValidator(bool hasRedis) : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        for (var i = 0; i < options.Inbound.Count; i++)
        {
            var route = options.Inbound[i];
            if (route.Address is null)
            {
                continue;
            }

            var where = $"KwaaiNet:Gateway:Inbound:{i}:Address ('{route.Address}')";
            if (!route.Address.IsAbsoluteUri)
            {
                failures.Add($"{where} must be an absolute address: http(s)://service or pool://name.");
            }
            else if (route.Address.Scheme == InboundRoute.PoolScheme)
            {
                var pool = route.Address.Host;
                if (!WorkerRegistryKeys.IsValidName(pool) || route.Address.AbsolutePath.Length > 1 || !string.IsNullOrEmpty(route.Address.Query))
                {
                    failures.Add($"{where} must be pool://name with a name of 1 to {WorkerRegistryKeys.MaxNameLength} letters, digits, '.', '_' or '-'.");
                }
                else if (!hasRedis)
                {
                    failures.Add($"{where} names a worker pool, which needs Redis (ConnectionStrings:redis), where the workers register.");
                }
            }
            else if (route.Address.Scheme != Uri.UriSchemeHttp && route.Address.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"{where} must use http, https or pool.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
