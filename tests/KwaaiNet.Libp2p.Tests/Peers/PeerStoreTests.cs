// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Libp2p.Multiformats;
using KwaaiNet.Libp2p.Peers;
using Microsoft.Extensions.Time.Testing;

namespace KwaaiNet.Libp2p.Tests.Peers;

public sealed class PeerStoreTests
{
    private static readonly Multiaddr TcpA = Multiaddr.Parse("/ip4/10.0.0.1/tcp/4001");
    private static readonly Multiaddr TcpB = Multiaddr.Parse("/ip4/10.0.0.2/tcp/4001");
    private static readonly Multiaddr Quic = Multiaddr.Parse("/ip4/10.0.0.1/udp/4001/quic-v1");

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AddAddresses_ThenGetAddresses_ReturnsThemInOrder()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();

        store.AddAddresses(peer, [TcpA, TcpB], TimeSpan.FromMinutes(10));
        store.AddAddresses(peer, [Quic, TcpA], TimeSpan.FromMinutes(10));

        Assert.Equal([TcpA, TcpB, Quic], store.GetAddresses(peer));
        Assert.Equal([peer], store.Peers);
    }

    [Fact]
    public void AddAddresses_WithPeerIdSuffix_StoresTransportPartAndSkipsOtherPeers()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        var other = NewPeer();

        store.AddAddresses(
            peer,
            [TcpA.WithPeerId(peer), TcpB.WithPeerId(other), Multiaddr.Parse("/p2p/" + peer)],
            TimeSpan.FromMinutes(1));

        Assert.Equal([TcpA], store.GetAddresses(peer));
    }

    [Fact]
    public void GetAddresses_AfterTtl_DropsExpiredOnesOnly()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        store.AddAddresses(peer, [TcpA], TimeSpan.FromMinutes(10));
        store.AddAddresses(peer, [TcpB], TimeSpan.FromMinutes(30));

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.Equal([TcpA, TcpB], store.GetAddresses(peer));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal([TcpB], store.GetAddresses(peer));
        Assert.True(store.TryGet(peer, out var record));
        Assert.Equal([TcpB], record.Addresses);

        _time.Advance(TimeSpan.FromMinutes(20));
        Assert.Empty(store.GetAddresses(peer));
    }

    [Fact]
    public void AddAddresses_Again_ExtendsButNeverShortensExpiry()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        store.AddAddresses(peer, [TcpA], TimeSpan.FromMinutes(1));

        _time.Advance(TimeSpan.FromSeconds(30));
        store.AddAddresses(peer, [TcpA], TimeSpan.FromMinutes(10));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([TcpA], store.GetAddresses(peer));

        store.AddAddresses(peer, [TcpA], TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal([TcpA], store.GetAddresses(peer));

        _time.Advance(TimeSpan.FromMinutes(3));
        Assert.Empty(store.GetAddresses(peer));
    }

    [Fact]
    public void AddAddresses_InfiniteTtl_NeverExpires()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        store.AddAddresses(peer, [TcpA], Timeout.InfiniteTimeSpan);
        store.AddAddresses(peer, [TcpB], TimeSpan.MaxValue);

        _time.Advance(TimeSpan.FromDays(365 * 100));

        Assert.Equal([TcpA, TcpB], store.GetAddresses(peer));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void AddAddresses_NonPositiveTtl_Throws(int seconds)
    {
        var store = new PeerStore(_time);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.AddAddresses(NewPeer(), [TcpA], TimeSpan.FromSeconds(seconds)));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void AddAddresses_OverLimit_KeepsTheLongestLived()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        var first = Enumerable.Range(0, PeerStore.MaxAddressesPerPeer).Select(static i => Multiaddr.Parse("/ip4/10.1.0.1/tcp/" + (i + 1))).ToArray();
        store.AddAddresses(peer, first[..1], TimeSpan.FromMinutes(30));
        store.AddAddresses(peer, first[1..], TimeSpan.FromHours(1));
        var longer = Multiaddr.Parse("/ip4/10.2.0.1/tcp/1");
        var shorter = Multiaddr.Parse("/ip4/10.2.0.2/tcp/1");

        store.AddAddresses(peer, [longer], TimeSpan.FromHours(2));
        store.AddAddresses(peer, [shorter], TimeSpan.FromMinutes(10));

        var addresses = store.GetAddresses(peer);
        Assert.Equal(PeerStore.MaxAddressesPerPeer, addresses.Count);
        Assert.Contains(longer, addresses);
        Assert.DoesNotContain(first[0], addresses);
        Assert.DoesNotContain(shorter, addresses);
    }

    [Fact]
    public void AddAddresses_ExpiredOnesFreeRoom()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        var many = Enumerable.Range(0, PeerStore.MaxAddressesPerPeer).Select(static i => Multiaddr.Parse("/ip4/10.1.0.1/tcp/" + (i + 1))).ToArray();
        store.AddAddresses(peer, many, TimeSpan.FromMinutes(1));

        _time.Advance(TimeSpan.FromMinutes(2));
        store.AddAddresses(peer, [TcpA], TimeSpan.FromSeconds(1));

        Assert.Equal([TcpA], store.GetAddresses(peer));
    }

    [Fact]
    public void SetProtocols_ReplacesAndAddProtocolsMerges_SortedOrdinally()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();

        store.SetProtocols(peer, ["/ipfs/ping/1.0.0", "/ipfs/id/1.0.0"]);
        store.AddProtocols(peer, ["/ipfs/kad/1.0.0", "/ipfs/ping/1.0.0"]);
        Assert.Equal(["/ipfs/id/1.0.0", "/ipfs/kad/1.0.0", "/ipfs/ping/1.0.0"], store.GetProtocols(peer));

        store.SetProtocols(peer, ["/yamux/1.0.0"]);
        Assert.Equal(["/yamux/1.0.0"], store.GetProtocols(peer));
        Assert.True(store.SupportsProtocol(peer, "/yamux/1.0.0"));
        Assert.False(store.SupportsProtocol(peer, "/ipfs/kad/1.0.0"));
    }

    [Fact]
    public void SetProtocols_InvalidAndExcessIds_AreDropped()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        var tooLong = "/" + new string('x', PeerStore.MaxProtocolIdLength);
        var longest = "/" + new string('y', PeerStore.MaxProtocolIdLength - 1);
        var many = Enumerable.Range(0, PeerStore.MaxProtocolsPerPeer + 10).Select(static i => "/p/" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture));

        store.SetProtocols(peer, ["", tooLong, longest, null!, .. many]);

        var protocols = store.GetProtocols(peer);
        Assert.Equal(PeerStore.MaxProtocolsPerPeer, protocols.Count);
        Assert.Contains(longest, protocols);
        Assert.DoesNotContain(tooLong, protocols);
        Assert.DoesNotContain("", protocols);
        Assert.Contains("/p/0000", protocols);
        Assert.DoesNotContain("/p/0127", protocols);

        store.AddProtocols(peer, ["/one/more"]);
        Assert.DoesNotContain("/one/more", store.GetProtocols(peer));
    }

    [Fact]
    public void PeersSupporting_ListsPeersWithTheProtocol()
    {
        var store = new PeerStore(_time);
        var a = NewPeer();
        var b = NewPeer();
        var c = NewPeer();
        store.SetProtocols(a, ["/ipfs/kad/1.0.0", "/ipfs/id/1.0.0"]);
        store.SetProtocols(b, ["/ipfs/id/1.0.0"]);
        store.SetProtocols(c, ["/ipfs/kad/1.0.0"]);

        Assert.Equal([a, c], store.PeersSupporting("/ipfs/kad/1.0.0"));
        Assert.Equal([a, b], store.PeersSupporting("/ipfs/id/1.0.0"));
        Assert.Empty(store.PeersSupporting("/none"));
    }

    [Fact]
    public void TryGet_ReturnsSnapshotOfEverything()
    {
        var store = new PeerStore(_time);
        var identity = NodeIdentity.GenerateEd25519();
        var peer = identity.PeerId;
        store.AddAddresses(peer, [TcpA], TimeSpan.FromMinutes(1));
        store.SetProtocols(peer, ["/ipfs/id/1.0.0"]);
        store.SetAgentVersion(peer, "go-libp2p/0.40.0");
        store.SetProtocolVersion(peer, "ipfs/0.1.0");
        var updated = _time.GetUtcNow();

        Assert.True(store.TryGet(peer, out var record));
        store.AddAddresses(peer, [TcpB], TimeSpan.FromMinutes(1));

        Assert.Equal(peer, record.PeerId);
        Assert.Equal([TcpA], record.Addresses);
        Assert.Equal(["/ipfs/id/1.0.0"], record.Protocols);
        Assert.Equal("go-libp2p/0.40.0", record.AgentVersion);
        Assert.Equal("ipfs/0.1.0", record.ProtocolVersion);
        Assert.Equal(identity.PublicKey, record.PublicKey);
        Assert.Equal(updated, record.LastUpdated);
    }

    [Fact]
    public void TryGet_UnknownPeer_ReturnsFalseAndReadsAreEmpty()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();

        Assert.False(store.TryGet(peer, out var record));
        Assert.Null(record);
        Assert.Empty(store.GetAddresses(peer));
        Assert.Empty(store.GetProtocols(peer));
        Assert.False(store.SupportsProtocol(peer, "/ipfs/id/1.0.0"));
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void SetPublicKey_MatchingKey_IsStoredAndMismatchRejected()
    {
        var store = new PeerStore(_time);
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var rsaKey = new PublicKey(KeyType.Rsa, rsa.ExportSubjectPublicKeyInfo());
        var rsaPeer = rsaKey.ToPeerId();

        Assert.False(store.SetPublicKey(rsaPeer, NodeIdentity.GenerateEd25519().PublicKey));
        Assert.Equal(0, store.Count);
        Assert.True(store.SetPublicKey(rsaPeer, rsaKey));
        Assert.True(store.TryGet(rsaPeer, out var record));
        Assert.Equal(rsaKey, record.PublicKey);
    }

    [Fact]
    public void SetAgentVersion_Overlong_IsTruncated()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();

        store.SetAgentVersion(peer, new string('a', PeerStore.MaxVersionLength - 1) + "\ud83d\ude00tail");
        store.SetProtocolVersion(peer, new string('p', PeerStore.MaxVersionLength * 4));

        Assert.True(store.TryGet(peer, out var record));
        Assert.Equal(new string('a', PeerStore.MaxVersionLength - 1), record.AgentVersion);
        Assert.Equal(PeerStore.MaxVersionLength, record.ProtocolVersion!.Length);
    }

    [Fact]
    public void NewPeer_AtCapacity_EvictsLeastRecentlyUpdated()
    {
        var store = new PeerStore(_time, maxPeers: 3);
        var a = NewPeer();
        var b = NewPeer();
        var c = NewPeer();
        var d = NewPeer();
        store.AddAddresses(a, [TcpA], TimeSpan.FromMinutes(1));
        store.AddAddresses(b, [TcpA], TimeSpan.FromMinutes(1));
        store.AddAddresses(c, [TcpA], TimeSpan.FromMinutes(1));
        store.AddProtocols(a, ["/ipfs/id/1.0.0"]);

        store.SetAgentVersion(d, "x");

        Assert.Equal(3, store.Count);
        Assert.Equal([c, a, d], store.Peers);
        Assert.False(store.TryGet(b, out _));
    }

    [Fact]
    public void Remove_ForgetsThePeer()
    {
        var store = new PeerStore(_time);
        var peer = NewPeer();
        store.AddAddresses(peer, [TcpA], TimeSpan.FromMinutes(1));
        store.SetProtocols(peer, ["/ipfs/id/1.0.0"]);

        Assert.True(store.Remove(peer));
        Assert.False(store.Remove(peer));
        Assert.Empty(store.Peers);
        Assert.Empty(store.PeersSupporting("/ipfs/id/1.0.0"));
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new PeerStore(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerStore(_time, 0));
    }

    [Fact]
    public async Task ConcurrentWritersAndReaders_StayConsistentAndBounded()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        const int maxPeers = 50;
        var store = new PeerStore(_time, maxPeers);
        var peers = Enumerable.Range(0, 200).Select(static _ => NewPeer()).ToArray();

        var workers = Enumerable.Range(0, 8).Select(worker => Task.Run(
            () =>
            {
                var random = new Random(worker);
                for (var i = 0; i < 5_000; i++)
                {
                    var peer = peers[random.Next(peers.Length)];
                    switch (random.Next(6))
                    {
                        case 0:
                            store.AddAddresses(peer, [TcpA, Multiaddr.Parse("/ip4/10.9.0.1/tcp/" + random.Next(1, 100))], TimeSpan.FromSeconds(random.Next(1, 60)));
                            break;
                        case 1:
                            store.SetProtocols(peer, ["/ipfs/id/1.0.0", "/x/" + random.Next(10)]);
                            break;
                        case 2:
                            Assert.True(store.GetAddresses(peer).Count <= PeerStore.MaxAddressesPerPeer);
                            break;
                        case 3:
                            if (store.TryGet(peer, out var record))
                            {
                                Assert.Equal(peer, record.PeerId);
                            }

                            break;
                        case 4:
                            _ = store.PeersSupporting("/ipfs/id/1.0.0");
                            break;
                        default:
                            if (worker == 0)
                            {
                                _time.Advance(TimeSpan.FromSeconds(1));
                            }

                            store.Remove(peer);
                            break;
                    }
                }
            },
            cancellationToken));

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromMinutes(1), cancellationToken);

        Assert.InRange(store.Count, 0, maxPeers);
        Assert.Equal(store.Count, store.Peers.Count);
        Assert.Equal(store.Peers.Count, store.Peers.Distinct().Count());
    }

    private static PeerId NewPeer() => NodeIdentity.GenerateEd25519().PeerId;
}
