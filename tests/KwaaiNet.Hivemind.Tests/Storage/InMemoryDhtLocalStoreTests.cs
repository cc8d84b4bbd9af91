// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Storage;

namespace KwaaiNet.Hivemind.Tests.Storage;

public sealed class InMemoryDhtLocalStoreTests : DhtLocalStoreContract
{
    protected override IDhtLocalStore CreateStore(DhtOptions options, TimeProvider time) =>
        new InMemoryDhtLocalStore(Microsoft.Extensions.Options.Options.Create(options), time);
}
