// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Petals.Trust;

/// <summary>The GliaNet FiduciaryPledge credential that a server announces in <c>trust_attestations</c>.</summary>
public static class FiduciaryPledge
{
    /// <summary>
    /// Whether <paramref name="attestation"/> (compact JSON of a W3C Verifiable Credential) is a FiduciaryPledge
    /// credential whose proof verifies and which is valid at <paramref name="now"/>; <paramref name="reason"/> says why not.
    /// </summary>
    public static bool Verify(string attestation, DateTimeOffset now, out string reason)
    {
        ArgumentNullException.ThrowIfNull(attestation);
        _ = now;
        reason = "credential verification is not built yet";
        return false;
    }

    /// <summary>Reads the operator's credential file as compact JSON.</summary>
    public static string ReadCompact(string path)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return System.Text.Json.JsonSerializer.Serialize(document.RootElement);
    }
}
