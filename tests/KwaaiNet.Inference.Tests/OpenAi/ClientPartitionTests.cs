// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Net;
using KwaaiNet.Inference.OpenAi;
using Microsoft.AspNetCore.Http;

namespace KwaaiNet.Inference.Tests.OpenAi;

public sealed class ClientPartitionTests
{
    [Theory]
    [InlineData("127.0.0.1", "203.0.113.7", "203.0.113.7")]
    [InlineData("10.1.2.3", "198.51.100.1, 203.0.113.7", "203.0.113.7")]
    [InlineData("172.20.0.5", "2001:db8::1", "2001:db8::1")]
    [InlineData("::ffff:192.168.1.2", "203.0.113.7", "203.0.113.7")]
    [InlineData("fd00::5", "203.0.113.7", "203.0.113.7")]
    [InlineData("198.51.100.9", "203.0.113.7", "198.51.100.9")]
    [InlineData("172.32.0.1", "203.0.113.7", "172.32.0.1")]
    [InlineData("127.0.0.1", "not an address", "127.0.0.1")]
    [InlineData("127.0.0.1", "", "127.0.0.1")]
    public void Address_ForwardedForIsTrustedOnlyFromAnInternalPeer(string remote, string forwardedFor, string expected)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        if (forwardedFor.Length > 0)
        {
            context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        }

        var address = ClientPartition.Address(context);

        Assert.Equal(expected == remote ? IPAddress.Parse(remote).ToString() : expected, address);
    }
}
