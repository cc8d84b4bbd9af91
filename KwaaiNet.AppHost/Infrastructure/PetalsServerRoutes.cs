// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Globalization;

namespace KwaaiNet.AppHost.Infrastructure;

/// <summary>The gateway's inbound routes for Petals' server protocol.</summary>
internal static class PetalsServerRoutes
{
    // Petals' TransformerConnectionHandler (research petals-protocol.md §1.2) is served by the inference workers: the
    // sessions as raw hivemind-framed streams, the rest as p2pd unary calls. Entries from 10 on, so that
    // other routes keep their own numbers (the options binder takes the entries of an array in any numbering).
    private const int FirstIndex = 10;

    private static readonly (string Protocol, string Kind)[] Routes =
    [
        ("TransformerConnectionHandler.rpc_info", "Unary"),
        ("TransformerConnectionHandler.rpc_forward", "Unary"),
        ("TransformerConnectionHandler.rpc_backward", "Unary"),
        ("TransformerConnectionHandler.rpc_push", "Unary"),
        ("TransformerConnectionHandler.rpc_inference", "Stream"),
        ("TransformerConnectionHandler.rpc_forward_stream", "Stream"),
        ("TransformerConnectionHandler.rpc_backward_stream", "Stream"),
    ];

    /// <summary>Routes every <c>TransformerConnectionHandler.*</c> protocol to the service at <paramref name="address"/>.</summary>
    public static IResourceBuilder<ProjectResource> WithPetalsServerRoutes(this IResourceBuilder<ProjectResource> gateway, string address)
    {
        for (var i = 0; i < Routes.Length; i++)
        {
            var prefix = "KwaaiNet__Gateway__Inbound__" + (FirstIndex + i).ToString(CultureInfo.InvariantCulture) + "__";
            gateway.WithEnvironment(prefix + "Protocol", Routes[i].Protocol)
                .WithEnvironment(prefix + "Address", address)
                .WithEnvironment(prefix + "Kind", Routes[i].Kind);
        }

        return gateway;
    }
}
