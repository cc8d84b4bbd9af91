// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Protocols;

namespace KwaaiNet.Libp2p.Tests.Protocols;

/// <summary>p2pd's unary frames against the hand-encoded vectors in the research notes (§5.4).</summary>
public sealed class UnaryWireTests
{
    private static readonly byte[] CallId = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly PeerId Target = PeerId.Parse("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq");
    private const string PingRequest = "12160a14cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd";
    private const string PingResponse = "12160a14abababababababababababababababababababab2100002040fc54d941";

    [Fact]
    public void Request_MatchesTheVector()
    {
        var message = UnaryCalls.EncodeRequest(CallId, Target, "DHTProtocol.rpc_ping", Convert.FromHexString(PingRequest));
        var framed = new byte[message.Length + 9];
        var written = LengthPrefixed.Encode(message, framed);
        Assert.Equal(
            "6c0a10000102030405060708090a0b0c0d0e0f1a580a260024080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
            + "121444485450726f746f636f6c2e7270635f70696e67" + "1a18" + PingRequest,
            Convert.ToHexStringLower(framed.AsSpan(0, written)));
    }

    [Fact]
    public void EmptyRequest_StillWritesTheRequiredDataField()
    {
        var message = UnaryCalls.EncodeRequest(CallId, Target, "DHTProtocol.rpc_ping", []);
        var framed = new byte[message.Length + 9];
        var written = LengthPrefixed.Encode(message, framed);
        var hex = Convert.ToHexStringLower(framed.AsSpan(0, written));
        Assert.StartsWith("540a10000102030405060708090a0b0c0d0e0f1a40", hex, StringComparison.Ordinal);
        Assert.EndsWith("1a00", hex, StringComparison.Ordinal);
    }

    [Fact]
    public void Reply_MatchesTheVector()
    {
        var message = UnaryCalls.EncodeReply(CallId, UnaryResult.Ok(Convert.FromHexString(PingResponse)));
        var framed = new byte[message.Length + 9];
        var written = LengthPrefixed.Encode(message, framed);
        Assert.Equal("370a10000102030405060708090a0b0c0d0e0f22230a21" + PingResponse, Convert.ToHexStringLower(framed.AsSpan(0, written)));
    }

    [Fact]
    public void ErrorReply_UsesTheErrorArm()
    {
        var message = UnaryCalls.EncodeReply(CallId, UnaryResult.Fail("ValueError('x')"));
        Assert.Equal(
            "0a10000102030405060708090a0b0c0d0e0f" + "2211" + "120f" + Convert.ToHexStringLower("ValueError('x')"u8),
            Convert.ToHexStringLower(message));
    }
}
