// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using Microsoft.Extensions.Options;

namespace KwaaiNet.Contracts.Node;

/// <summary>
/// Validates <see cref="NodeOptions"/> at start. Hand-written rather than generated from attributes so that each
/// message names the operator's key (<c>KwaaiNet:Node:blocks</c>), the value given and what is allowed.
/// </summary>
internal sealed class NodeOptionsValidator : IValidateOptions<NodeOptions>
{
    /// <summary>Upper bound on served blocks; the largest Llama has 126 layers, so this only catches typos.</summary>
    internal const int MaxBlocks = 1024;

    private const int MaxInitialPeers = 64;
    private const int MaxTextLength = 1024;

    public ValidateOptionsResult Validate(string? name, NodeOptions options)
    {
        List<string> errors = [];
        var p = NodeOptions.SectionName;

        if (string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add($"{p}:model must name a model (an Ollama reference such as 'llama3.1:8b' or a Hugging Face repository).");
        }
        else if (options.Model.Length > MaxTextLength)
        {
            errors.Add($"{p}:model is longer than {MaxTextLength} characters.");
        }

        if (options.Blocks is < 1 or > MaxBlocks)
        {
            errors.Add($"{p}:blocks must be between 1 and {MaxBlocks} (got {options.Blocks}).");
        }

        if (options.StartBlock is < 0 or > MaxBlocks)
        {
            errors.Add($"{p}:start_block must be between 0 and {MaxBlocks}, or absent to let the node choose (got {options.StartBlock}).");
        }

        if (options.Port is < 0 or > 65535)
        {
            errors.Add($"{p}:port must be a TCP port between 0 and 65535 (got {options.Port}).");
        }

        if (options.PublicName is { Length: > 256 })
        {
            errors.Add($"{p}:public_name is longer than 256 characters.");
        }

        if (!string.IsNullOrWhiteSpace(options.PublicIp) && !IPAddress.TryParse(options.PublicIp, out _))
        {
            errors.Add($"{p}:public_ip must be an IPv4 or IPv6 address (got '{options.PublicIp}').");
        }

        if (!string.IsNullOrWhiteSpace(options.AnnounceAddr) && !LooksLikeMultiaddr(options.AnnounceAddr))
        {
            errors.Add($"{p}:announce_addr must be a multiaddr such as '/ip4/203.0.113.7/tcp/8080' (got '{options.AnnounceAddr}').");
        }

        if (options.InitialPeers.Count > MaxInitialPeers)
        {
            errors.Add($"{p}:initial_peers lists {options.InitialPeers.Count} peers; at most {MaxInitialPeers} are allowed.");
        }

        foreach (var peer in options.InitialPeers)
        {
            if (!LooksLikeMultiaddr(peer) || !(peer.Contains("/p2p/", StringComparison.Ordinal) || peer.Contains("/ipfs/", StringComparison.Ordinal)))
            {
                errors.Add($"{p}:initial_peers entry '{peer}' must be a multiaddr ending in /p2p/<peer id>, such as '/ip4/203.0.113.7/tcp/8000/p2p/Qm...'.");
            }
        }

        if (options.IdentityKey is { Length: > MaxTextLength } || options.Home is { Length: > MaxTextLength } || options.FiduciaryPledge is { Length: > MaxTextLength })
        {
            errors.Add($"{p}:identity_key, {p}:home and {p}:fiduciary_pledge must be paths shorter than {MaxTextLength} characters.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The text form's shape: <c>(/name/value)+</c>. Full multiaddr parsing lives in KwaaiNet.Libp2p.</summary>
    private static bool LooksLikeMultiaddr(string value) =>
        value.Length is > 1 and <= MaxTextLength
        && value[0] == '/'
        && !value.Contains("//", StringComparison.Ordinal)
        && !value.Any(char.IsWhiteSpace);
}
