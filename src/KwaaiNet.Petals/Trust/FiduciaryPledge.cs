// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Petals.Trust;

/// <summary>
/// The GliaNet FiduciaryPledge credential that a server announces in <c>trust_attestations</c>: a W3C Verifiable
/// Credential (Data Model 1.1) as upstream KwaaiNet's <c>kwaai-trust</c> crate defines it (<c>credential.rs</c>,
/// <c>fiduciary_pledge_vc</c>) with an <c>Ed25519Signature2020</c> proof (<c>verify.rs</c>), the issuer's key named by a
/// <c>did:peer:&lt;base58 peer id&gt;</c> (<c>did.rs</c>). docs/records.md §3 says what "verifies" means.
/// </summary>
public static partial class FiduciaryPledge
{
    /// <summary>Largest credential accepted, in UTF-8 bytes, both in a file and in an announcement: 16 KiB.</summary>
    public const int MaxLength = 16 * 1024;

    /// <summary>The credential type a FiduciaryPledge credential lists in <c>type</c> (upstream <c>KwaaiCredentialType</c>).</summary>
    public const string CredentialType = "FiduciaryPledgeVC";

    /// <summary>The only proof type upstream issues and verifies.</summary>
    public const string ProofType = "Ed25519Signature2020";

    /// <summary>The DID method of the issuer's key: the libp2p peer id, which inlines an Ed25519 public key.</summary>
    public const string DidPeerPrefix = "did:peer:";

    private const int MaxDepth = 16;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>
    /// Whether <paramref name="attestation"/> (compact JSON of a W3C Verifiable Credential) is a FiduciaryPledge
    /// credential whose proof verifies and which is valid at <paramref name="now"/>; <paramref name="reason"/> says why
    /// not (or <c>verified</c>). Never throws on bad input: the attestation comes from a remote peer.
    /// </summary>
    public static bool Verify(string attestation, DateTimeOffset now, out string reason)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        if (attestation.Length > MaxLength || Encoding.UTF8.GetByteCount(attestation) > MaxLength)
        {
            reason = "the credential is larger than 16 KiB";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(attestation, ParseOptions);
            return Verify(document.RootElement, now, out reason);
        }
        catch (JsonException e)
        {
            reason = "the credential is not valid JSON: " + e.Message;
            return false;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            reason = "the credential holds invalid text: " + e.Message;
            return false;
        }
    }

    /// <summary>
    /// Reads the operator's credential file at <paramref name="path"/> (at most 16 KiB of UTF-8 JSON whose <c>type</c>
    /// contains <c>FiduciaryPledgeVC</c>) and returns it as compact JSON, as upstream's <c>to_compact_json</c> writes
    /// it: no whitespace, members in file order. The proof is not checked here (an unsigned draft is announced as is,
    /// and the map does not show it as verified).
    /// </summary>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is too large, not UTF-8 JSON, or not a FiduciaryPledge credential.</exception>
    public static string ReadCompact(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            bytes = new byte[MaxLength + 1];
            var read = 0;
            int n;
            while (read < bytes.Length && (n = file.Read(bytes, read, bytes.Length - read)) > 0)
            {
                read += n;
            }

            if (read > MaxLength)
            {
                throw new InvalidDataException($"The FiduciaryPledge credential file '{path}' is larger than 16 KiB.");
            }

            bytes = bytes[..read];
        }

        try
        {
            var text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes).TrimStart('\uFEFF');
            using var document = JsonDocument.Parse(text, ParseOptions);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"The FiduciaryPledge credential file '{path}' does not hold a JSON object.");
            }

            if (!HasPledgeType(root))
            {
                throw new InvalidDataException($"The credential in '{path}' is not a FiduciaryPledge credential: its \"type\" does not contain \"{CredentialType}\".");
            }

            return CompactJson.Write(root);
        }
        catch (Exception e) when (e is JsonException or DecoderFallbackException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"The FiduciaryPledge credential file '{path}' is not valid UTF-8 JSON: {e.Message}", e);
        }
    }

    private static bool Verify(JsonElement root, DateTimeOffset now, out string reason)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return Fail("the credential is not a JSON object", out reason);
        }

        if (!HasPledgeType(root))
        {
            return Fail($"\"type\" does not contain \"{CredentialType}\"", out reason);
        }

        if (!TryGetString(root, "issuer", out var issuer) || issuer.Length == 0)
        {
            return Fail("the issuer is missing", out reason);
        }

        if (!root.TryGetProperty("credentialSubject", out var subject) || subject.ValueKind != JsonValueKind.Object
            || !TryGetString(subject, "id", out var subjectId) || subjectId.Length == 0)
        {
            return Fail("the credential subject or its id is missing", out reason);
        }

        if (!TryGetString(root, "issuanceDate", out var issuedText) || !TryParseDate(issuedText, out var issued))
        {
            return Fail("issuanceDate is missing or not an RFC 3339 date", out reason);
        }

        if (now < issued)
        {
            return Fail("the credential is not valid yet (issued " + issuedText + ")", out reason);
        }

        if (root.TryGetProperty("expirationDate", out var expiresElement))
        {
            if (expiresElement.ValueKind != JsonValueKind.String || !TryParseDate(expiresElement.GetString()!, out var expires))
            {
                return Fail("expirationDate is not an RFC 3339 date", out reason);
            }

            if (expires < now)
            {
                return Fail("the credential has expired (" + expiresElement.GetString() + ")", out reason);
            }
        }

        if (!root.TryGetProperty("proof", out var proof) || proof.ValueKind != JsonValueKind.Object)
        {
            return Fail("the credential has no proof", out reason);
        }

        if (!TryGetString(proof, "type", out var proofType) || proofType != ProofType)
        {
            return Fail($"the proof type is not {ProofType}", out reason);
        }

        if (!TryGetString(proof, "verificationMethod", out var method))
        {
            return Fail("the proof has no verificationMethod", out reason);
        }

        var did = method.Split('#', 2)[0];
        if (!string.Equals(did, issuer, StringComparison.Ordinal))
        {
            return Fail("the proof's verificationMethod is not the issuer's key", out reason);
        }

        if (!did.StartsWith(DidPeerPrefix, StringComparison.Ordinal)
            || !PeerId.TryParse(did[DidPeerPrefix.Length..], out var peerId)
            || !peerId.TryGetPublicKey(out var publicKey)
            || publicKey.Type != KeyType.Ed25519)
        {
            return Fail("the issuer is not a did:peer with an Ed25519 key", out reason);
        }

        if (!TryGetString(proof, "proofValue", out var proofValue) || !TryDecodeSignature(proofValue, out var signature))
        {
            return Fail("the proofValue is not a base64url 64-byte Ed25519 signature", out reason);
        }

        var signed = Encoding.UTF8.GetBytes(CompactJson.Write(root, skipMember: "proof"));
        if (!NodeIdentity.Verify(publicKey, signed, signature))
        {
            return Fail("the signature does not verify", out reason);
        }

        reason = "verified";
        return true;
    }

    private static bool HasPledgeType(JsonElement root) =>
        root.TryGetProperty("type", out var type)
        && type.ValueKind == JsonValueKind.Array
        && type.EnumerateArray().Any(static t => t.ValueKind == JsonValueKind.String && t.ValueEquals(CredentialType));

    private static bool TryGetString(JsonElement element, string name, out string value)
    {
        if (element.TryGetProperty(name, out var property) && property.ValueKind == JsonValueKind.String)
        {
            value = property.GetString()!;
            return true;
        }

        value = string.Empty;
        return false;
    }

    /// <summary>
    /// An RFC 3339 date-time with an offset, as chrono writes <c>DateTime&lt;Utc&gt;</c>; fractions beyond the 100 ns
    /// that <see cref="DateTimeOffset"/> holds (chrono writes nanoseconds) are cut.
    /// </summary>
    private static bool TryParseDate(string text, out DateTimeOffset value)
    {
        value = default;
        var match = Rfc3339().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var fraction = match.Groups["fraction"].Value;
        var normalized = match.Groups["seconds"].Value
            + (fraction.Length > 0 ? "." + fraction[..Math.Min(fraction.Length, 7)] : string.Empty)
            + (match.Groups["offset"].Value is "Z" or "z" ? "+00:00" : match.Groups["offset"].Value);
        return DateTimeOffset.TryParse(normalized, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    private static bool TryDecodeSignature(string text, out byte[] signature)
    {
        signature = [];
        if (text.Length > 128 || !Base64Url.IsValid(text, out var length) || length != NodeIdentity.Ed25519SignatureLength)
        {
            return false;
        }

        signature = Base64Url.DecodeFromChars(text);
        return signature.Length == NodeIdentity.Ed25519SignatureLength;
    }

    private static bool Fail(string why, out string reason)
    {
        reason = why;
        return false;
    }

    [GeneratedRegex(@"^(?<seconds>\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2})(?:\.(?<fraction>\d{1,9}))?(?<offset>[Zz]|[+-]\d{2}:\d{2})$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Rfc3339();
}
