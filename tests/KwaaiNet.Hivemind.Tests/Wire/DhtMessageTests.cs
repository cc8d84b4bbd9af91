// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using Google.Protobuf;
using KwaaiNet.Hivemind.Wire;

namespace KwaaiNet.Hivemind.Tests.Wire;

/// <summary>hivemind's dht.proto messages against the bytes in the research notes (libp2p.md §5.4).</summary>
public sealed class DhtMessageTests
{
    [Fact]
    public void PingRequest_MatchesTheVector()
    {
        var request = new PingRequest { Peer = new NodeInfo { NodeId = ByteString.CopyFrom([.. Enumerable.Repeat((byte)0xcd, 20)]) } };

        Assert.Equal("12160a14" + string.Concat(Enumerable.Repeat("cd", 20)), Convert.ToHexStringLower(request.ToByteArray()));
    }

    [Fact]
    public void PingResponse_MatchesTheVector()
    {
        var response = new PingResponse
        {
            Peer = new NodeInfo { NodeId = ByteString.CopyFrom([.. Enumerable.Repeat((byte)0xab, 20)]) },
            DhtTime = 1700000000.5,
        };

        Assert.Equal("12160a14" + string.Concat(Enumerable.Repeat("ab", 20)) + "2100002040fc54d941", Convert.ToHexStringLower(response.ToByteArray()));
    }

    [Fact]
    public void PingResponse_ReadsAvailableWhetherWrittenOrOmitted()
    {
        // Python's proto3 omits available=false; an explicit field 5 = 1 reads as true.
        var omitted = PingResponse.Parser.ParseFrom(Convert.FromHexString("2100002040fc54d941"));
        var present = PingResponse.Parser.ParseFrom(Convert.FromHexString("2100002040fc54d9412801"));

        Assert.False(omitted.Available);
        Assert.True(present.Available);
        Assert.Equal(1700000000.5, present.DhtTime);
    }
}
