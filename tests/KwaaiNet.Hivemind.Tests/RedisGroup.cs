// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Hivemind.Tests;

[CollectionDefinition(Name)]
public sealed class RedisGroup : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}
