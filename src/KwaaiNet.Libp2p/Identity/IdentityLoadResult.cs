// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Identity;

/// <summary>The outcome of <see cref="IdentityKeyFile.LoadOrCreate"/>.</summary>
/// <param name="Identity">The node identity.</param>
/// <param name="Created">True when this call generated the identity and wrote the key file.</param>
public sealed record IdentityLoadResult(NodeIdentity Identity, bool Created);
