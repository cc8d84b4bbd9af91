// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Hivemind.Storage;

namespace KwaaiNet.Hivemind.Tests.Storage;

public sealed class InMemoryDhtRecordStoreTests : DhtRecordStoreContract
{
    public InMemoryDhtRecordStoreTests()
    {
        Store = new InMemoryDhtRecordStore(Microsoft.Extensions.Options.Options.Create(Options), Time);
    }

    protected override IDhtRecordStore Store { get; }
}
