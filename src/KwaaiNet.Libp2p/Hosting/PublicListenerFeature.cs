// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Hosting;

/// <summary>Set on connections accepted by the Kestrel endpoint named <c>public</c> (the node's public HTTP port).</summary>
internal sealed class PublicListenerFeature
{
    private PublicListenerFeature()
    {
    }

    public static PublicListenerFeature Instance { get; } = new();
}
