// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Text;
using System.Text;
using KwaaiNet.Libp2p.Identity;
using KwaaiNet.Petals.Trust;

namespace KwaaiNet.Petals.Tests.Trust;

public sealed class FiduciaryPledgeTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly NodeIdentity Issuer = NodeIdentity.FromEd25519Seed(Enumerable.Range(1, 32).Select(static i => (byte)i).ToArray());
    private static readonly NodeIdentity Other = NodeIdentity.FromEd25519Seed(Enumerable.Range(101, 32).Select(static i => (byte)i).ToArray());
    private static readonly NodeIdentity Subject = NodeIdentity.FromEd25519Seed(new byte[32]);

    private readonly string _folder = Directory.CreateTempSubdirectory("kwaainet-pledge-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Verify_SignedCredential_Verifies()
    {
        var credential = Sign(Issuer, Unsigned());

        Assert.True(FiduciaryPledge.Verify(credential, Now, out var reason), reason);
        Assert.Equal("verified", reason);
    }

    [Fact]
    public void Verify_ChronoNanosecondDates_Verifies()
    {
        // chrono writes DateTime<Utc> with 9 fraction digits when the nanoseconds need them.
        var credential = Sign(Issuer, Unsigned(issued: "2026-01-01T10:20:30.123456789Z", expires: "2027-01-01T10:20:30.123456789Z"));

        Assert.True(FiduciaryPledge.Verify(credential, Now, out var reason), reason);
    }

    [Fact]
    public void Verify_NonAsciiAndEscapedClaims_VerifiesOverSerdeCompactForm()
    {
        // serde_json writes non-ASCII as UTF-8 and escapes only quotes, backslashes and control characters.
        var credential = Sign(Issuer, Unsigned(pledgeName: "Glia\\\"Net\\\\ – pledge\\n\\u0001 ✓"));

        Assert.True(FiduciaryPledge.Verify(credential, Now, out var reason), reason);
    }

    [Fact]
    public void Verify_TamperedClaim_FailsSignature()
    {
        var credential = Sign(Issuer, Unsigned()).Replace("GliaNet Fiduciary Pledge v1", "GliaNet Fiduciary Pledge v2", StringComparison.Ordinal);

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the signature does not verify", reason);
    }

    [Fact]
    public void Verify_AddedMember_FailsSignature()
    {
        var credential = Sign(Issuer, Unsigned()).Insert(1, "\"id\":\"urn:kwaai:vc:forged\",");

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the signature does not verify", reason);
    }

    [Fact]
    public void Verify_SignedByAnotherKey_FailsSignature()
    {
        // The credential names Issuer's key but Other signed it.
        var credential = Sign(Other, Unsigned(), verificationMethod: Did(Issuer) + "#key-1");

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the signature does not verify", reason);
    }

    [Fact]
    public void Verify_VerificationMethodNotTheIssuer_Fails()
    {
        var credential = Sign(Other, Unsigned());

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the proof's verificationMethod is not the issuer's key", reason);
    }

    [Fact]
    public void Verify_Expired_Fails()
    {
        var credential = Sign(Issuer, Unsigned(expires: "2026-05-31T12:00:00Z"));

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.StartsWith("the credential has expired", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NotYetIssued_Fails()
    {
        var credential = Sign(Issuer, Unsigned(issued: "2026-06-01T12:00:01Z"));

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.StartsWith("the credential is not valid yet", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_NoExpirationDate_Verifies()
    {
        var credential = Sign(Issuer, Unsigned(expires: null));

        Assert.True(FiduciaryPledge.Verify(credential, Now.AddYears(50), out var reason), reason);
    }

    [Fact]
    public void Verify_WrongCredentialType_Fails()
    {
        var credential = Sign(Issuer, Unsigned(type: "SummitAttendeeVC"));

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("\"type\" does not contain \"FiduciaryPledgeVC\"", reason);
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],}")]
    public void Verify_MalformedJson_FailsAsNotJson(string attestation)
    {
        Assert.False(FiduciaryPledge.Verify(attestation, Now, out var reason));
        Assert.StartsWith("the credential is not valid JSON", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[]", "the credential is not a JSON object")]
    [InlineData("null", "the credential is not a JSON object")]
    [InlineData("{\"type\":\"FiduciaryPledgeVC\"}", "\"type\" does not contain \"FiduciaryPledgeVC\"")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"]}", "the issuer is missing")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],\"issuer\":\"did:peer:x\"}", "the credential subject or its id is missing")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],\"issuer\":\"did:peer:x\",\"credentialSubject\":{\"id\":\"s\"},\"issuanceDate\":\"yesterday\"}", "issuanceDate is missing or not an RFC 3339 date")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],\"issuer\":\"did:peer:x\",\"credentialSubject\":{\"id\":\"s\"},\"issuanceDate\":\"2026-01-01T00:00:00\"}", "issuanceDate is missing or not an RFC 3339 date")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],\"issuer\":\"did:peer:x\",\"credentialSubject\":{\"id\":\"s\"},\"issuanceDate\":\"2026-01-01T00:00:00Z\",\"expirationDate\":7}", "expirationDate is not an RFC 3339 date")]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"],\"issuer\":\"did:peer:x\",\"credentialSubject\":{\"id\":\"s\"},\"issuanceDate\":\"2026-01-01T00:00:00Z\"}", "the credential has no proof")]
    public void Verify_MissingOrBadFields_FailsWithReason(string attestation, string expected)
    {
        Assert.False(FiduciaryPledge.Verify(attestation, Now, out var reason));
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void Verify_UnsupportedProofType_Fails()
    {
        var credential = Sign(Issuer, Unsigned(), proofType: "RsaSignature2018");

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the proof type is not Ed25519Signature2020", reason);
    }

    [Theory]
    [InlineData("did:peer:not-base58!")]
    [InlineData("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")]
    [InlineData("did:peer:QmYyQSo1c1Ym7orWxLYvCuxRjeczyuq4GNGbMaFfkMhp4")]
    public void Verify_IssuerWithoutEd25519PeerKey_Fails(string issuer)
    {
        // The last one is a hashed (RSA-style) peer id, which does not carry its key.
        var credential = Sign(Issuer, Unsigned(issuer: issuer), verificationMethod: issuer + "#key-1");

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the issuer is not a did:peer with an Ed25519 key", reason);
    }

    [Theory]
    [InlineData("not base64url!")]
    [InlineData("AAAA")]
    [InlineData("")]
    public void Verify_BadProofValue_Fails(string proofValue)
    {
        var credential = Sign(Issuer, Unsigned(), proofValue: proofValue);

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.Equal("the proofValue is not a base64url 64-byte Ed25519 signature", reason);
    }

    [Fact]
    public void Verify_HugeInput_FailsWithoutParsing()
    {
        var huge = Unsigned()[..^1] + ",\"padding\":\"" + new string('x', FiduciaryPledge.MaxLength) + "\"}";

        Assert.False(FiduciaryPledge.Verify(huge, Now, out var reason));
        Assert.Equal("the credential is larger than 16 KiB", reason);
    }

    [Fact]
    public void Verify_DeepNesting_Fails()
    {
        var deep = "{\"type\":[\"FiduciaryPledgeVC\"],\"x\":" + new string('[', 100) + new string(']', 100) + "}";

        Assert.False(FiduciaryPledge.Verify(deep, Now, out var reason));
        Assert.StartsWith("the credential is not valid JSON", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_DuplicateMember_Fails()
    {
        // A second "issuer" could make two readers disagree on who signed.
        var credential = Sign(Issuer, Unsigned()).Insert(1, "\"issuer\":\"did:peer:someone-else\",");

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.StartsWith("the credential is not valid JSON", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_UnpairedSurrogateEscape_Fails()
    {
        var credential = Sign(Issuer, Unsigned(pledgeName: "\\ud800"));

        Assert.False(FiduciaryPledge.Verify(credential, Now, out var reason));
        Assert.NotEqual("verified", reason);
    }

    [Fact]
    public void ReadCompact_PrettyFile_ReturnsUpstreamCompactJsonThatVerifies()
    {
        var compact = Sign(Issuer, Unsigned(pledgeName: "Glia – \\\"pledge\\\" é\\t"));

        // Another tool wrote the file: indented, with a BOM, and é as an escape.
        var pretty = "\uFEFF{\n  " + compact[1..^1]
            .Replace(",\"", ",\n  \"", StringComparison.Ordinal)
            .Replace("\":", "\" : ", StringComparison.Ordinal)
            .Replace("é", "\\u00e9", StringComparison.Ordinal) + "\n}\n";
        var path = Write("pledge.json", Encoding.UTF8.GetBytes(pretty));

        var read = FiduciaryPledge.ReadCompact(path);

        // \u00e9 becomes é again and \t stays an escape, as serde_json writes them.
        Assert.Equal(compact, read);
        Assert.DoesNotContain("\n", read, StringComparison.Ordinal);
        Assert.True(FiduciaryPledge.Verify(read, Now, out var reason), reason);
    }

    [Fact]
    public void ReadCompact_UnsignedDraft_ReturnsIt()
    {
        var path = Write("draft.json", Encoding.UTF8.GetBytes(Unsigned()));

        Assert.Equal(Unsigned(), FiduciaryPledge.ReadCompact(path));
    }

    [Fact]
    public void ReadCompact_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => FiduciaryPledge.ReadCompact(Path.Combine(_folder, "absent.json")));
    }

    [Fact]
    public void ReadCompact_FileOver16KiB_ThrowsInvalidData()
    {
        var path = Write("big.json", Encoding.UTF8.GetBytes(Unsigned()[..^1] + ",\"padding\":\"" + new string('x', FiduciaryPledge.MaxLength) + "\"}"));

        var error = Assert.Throws<InvalidDataException>(() => FiduciaryPledge.ReadCompact(path));
        Assert.Contains("larger than 16 KiB", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\":[\"FiduciaryPledgeVC\"]", "not valid UTF-8 JSON")]
    [InlineData("[\"FiduciaryPledgeVC\"]", "does not hold a JSON object")]
    [InlineData("{\"type\":[\"VerifiableCredential\",\"SummitAttendeeVC\"]}", "is not a FiduciaryPledge credential")]
    [InlineData("{\"type\":\"FiduciaryPledgeVC\"}", "is not a FiduciaryPledge credential")]
    public void ReadCompact_BadFile_ThrowsInvalidDataSayingWhy(string content, string expected)
    {
        var path = Write("bad.json", Encoding.UTF8.GetBytes(content));

        var error = Assert.Throws<InvalidDataException>(() => FiduciaryPledge.ReadCompact(path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadCompact_InvalidUtf8_ThrowsInvalidData()
    {
        var path = Write("latin1.json", [.. Encoding.UTF8.GetBytes("{\"type\":[\"FiduciaryPledgeVC\"],\"x\":\""), 0xE9, .. "\"}"u8]);

        var error = Assert.Throws<InvalidDataException>(() => FiduciaryPledge.ReadCompact(path));
        Assert.Contains("not valid UTF-8 JSON", error.Message, StringComparison.Ordinal);
    }

    private static string Did(NodeIdentity identity) => "did:peer:" + identity.PeerId.ToBase58();

    /// <summary>
    /// An unsigned FiduciaryPledge credential written as upstream's <c>to_signing_bytes</c> writes it (serde field
    /// order, compact), built here by hand so that the signed bytes do not come from the code under test.
    /// </summary>
    private static string Unsigned(
        string? issuer = null,
        string type = "FiduciaryPledgeVC",
        string issued = "2026-01-01T00:00:00Z",
        string? expires = "2027-01-01T00:00:00Z",
        string pledgeName = "GliaNet Fiduciary Pledge v1") =>
        "{\"@context\":[\"https://www.w3.org/2018/credentials/v1\",\"https://kwaai.ai/credentials/v1\"]"
        + ",\"type\":[\"VerifiableCredential\",\"" + type + "\"]"
        + ",\"issuer\":\"" + (issuer ?? Did(Issuer)) + "\""
        + ",\"issuanceDate\":\"" + issued + "\""
        + (expires is null ? string.Empty : ",\"expirationDate\":\"" + expires + "\"")
        + ",\"credentialSubject\":{\"id\":\"" + Did(Subject) + "\",\"pledgeHash\":\"sha256:00ff\",\"pledgeName\":\"" + pledgeName + "\"}}";

    /// <summary>Signs the UTF-8 bytes of <paramref name="unsigned"/> and appends the proof, as upstream's <c>sign_credential_bytes</c>.</summary>
    private static string Sign(
        NodeIdentity signer,
        string unsigned,
        string? verificationMethod = null,
        string proofType = "Ed25519Signature2020",
        string? proofValue = null)
    {
        proofValue ??= Base64Url.EncodeToString(signer.Sign(Encoding.UTF8.GetBytes(unsigned)));
        return unsigned[..^1]
            + ",\"proof\":{\"type\":\"" + proofType + "\",\"created\":\"2026-01-01T00:00:01.5Z\""
            + ",\"verificationMethod\":\"" + (verificationMethod ?? Did(signer) + "#key-1") + "\""
            + ",\"proofPurpose\":\"assertionMethod\",\"proofValue\":\"" + proofValue + "\"}}";
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, content);
        return path;
    }
}
