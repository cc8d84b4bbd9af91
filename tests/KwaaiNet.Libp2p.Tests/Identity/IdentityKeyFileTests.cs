// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class IdentityKeyFileTests : IDisposable
{
    private const string PrivateKeyHex =
        "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "kwaainet-identity-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public void LoadOrCreate_Missing_CreatesThenReloadsSameIdentity()
    {
        var path = Path.Combine(_directory, "nested", "identity.key");

        var created = IdentityKeyFile.LoadOrCreate(path, allowCreate: true);
        var loaded = IdentityKeyFile.LoadOrCreate(path, allowCreate: true);

        Assert.True(created.Created);
        Assert.False(loaded.Created);
        Assert.Equal(KeyType.Ed25519, created.Identity.KeyType);
        Assert.Equal(created.Identity.PeerId, loaded.Identity.PeerId);
        Assert.Equal(created.Identity.ToPrivateKeyProtobuf(), File.ReadAllBytes(path));
        Assert.Equal(created.Identity.PeerId, IdentityKeyFile.Load(path).PeerId);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void LoadOrCreate_ExistingUpstreamKey_LoadsItsPeerId()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "identity.key");
        File.WriteAllBytes(path, Convert.FromHexString(PrivateKeyHex));

        var result = IdentityKeyFile.LoadOrCreate(path, allowCreate: false);

        Assert.False(result.Created);
        Assert.Equal("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq", result.Identity.PeerId.ToBase58());
    }

    [Fact]
    public void LoadOrCreate_MissingAndCreateNotAllowed_ThrowsFileNotFoundNamingPath()
    {
        var path = Path.Combine(_directory, "identity.key");

        var ex = Assert.Throws<FileNotFoundException>(() => IdentityKeyFile.LoadOrCreate(path, allowCreate: false));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(path, ex.FileName);
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0801")]
    [InlineData("080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d")]
    [InlineData("0801124000000000000000000000000000000000000000000000000000000000000000001ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e")]
    [InlineData("68656c6c6f0a")]
    public void LoadOrCreate_CorruptFile_ThrowsNamingPathAndLeavesFileUntouched(string hex)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "identity.key");
        var contents = Convert.FromHexString(hex);
        File.WriteAllBytes(path, contents);

        var ex = Assert.Throws<KeyFormatException>(() => IdentityKeyFile.LoadOrCreate(path, allowCreate: true));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("left untouched", ex.Message, StringComparison.Ordinal);
        Assert.Equal(contents, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void LoadOrCreate_OversizedFile_IsRefusedNamingPath()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "identity.key");
        var contents = new byte[IdentityKeyFile.MaxFileSize + 1];
        File.WriteAllBytes(path, contents);

        var ex = Assert.Throws<KeyFormatException>(() => IdentityKeyFile.LoadOrCreate(path, allowCreate: true));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("larger than 16384 bytes", ex.Message, StringComparison.Ordinal);
        Assert.Equal(contents.Length, new FileInfo(path).Length);
    }

    [Fact]
    public void LoadOrCreate_Secp256k1File_ThrowsNotSupportedNamingPath()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "identity.key");
        var contents = new PrivateKey(KeyType.Secp256k1, new byte[32]).ToProtobuf();
        File.WriteAllBytes(path, contents);

        var ex = Assert.Throws<NotSupportedException>(() => IdentityKeyFile.LoadOrCreate(path, allowCreate: true));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Secp256k1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(contents, File.ReadAllBytes(path));
    }

    [Fact]
    public void LoadOrCreate_Created_FileIsOwnerReadWriteOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes do not apply on Windows.");
        var path = Path.Combine(_directory, "identity.key");

        IdentityKeyFile.LoadOrCreate(path, allowCreate: true);

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void Create_ExistingFile_ThrowsAndKeepsOriginal()
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "identity.key");
        var original = Convert.FromHexString(PrivateKeyHex);
        File.WriteAllBytes(path, original);

        Assert.Throws<IOException>(() => IdentityKeyFile.Create(path, NodeIdentity.GenerateEd25519()));

        Assert.Equal(original, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Fact]
    public void Create_RsaIdentity_PersistsAndReloads()
    {
        using var rsa = RSA.Create(2048);
        var identity = NodeIdentity.FromPrivateKeyProtobuf(new PrivateKey(KeyType.Rsa, rsa.ExportRSAPrivateKey()).ToProtobuf());
        var path = Path.Combine(_directory, "rsa.key");

        IdentityKeyFile.Create(path, identity);
        var loaded = IdentityKeyFile.Load(path);

        Assert.Equal(identity.PeerId, loaded.PeerId);
        Assert.StartsWith("Qm", loaded.PeerId.ToBase58(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoadOrCreate_ConcurrentCallers_AllGetOneIdentityAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var path = Path.Combine(_directory, "identity.key");
        using var start = new ManualResetEventSlim();
        var tasks = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(
                () =>
                {
                    start.Wait(cancellationToken);
                    return IdentityKeyFile.LoadOrCreate(path, allowCreate: true);
                },
                cancellationToken))
            .ToArray();

        start.Set();
        var results = await Task.WhenAll(tasks);

        var peerIds = results.Select(r => r.Identity.PeerId).Distinct().ToArray();
        Assert.Single(peerIds);
        Assert.Single(results, r => r.Created);
        Assert.Equal(peerIds[0], IdentityKeyFile.Load(path).PeerId);
        Assert.Single(Directory.GetFiles(_directory));
    }
}
