// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Identity;

/// <summary>
/// The libp2p key type, as numbered by the <c>KeyType</c> enum of the key protobuf
/// (libp2p specs, peer-ids/peer-ids.md §Keys). The numeric values are wire values: never renumber.
/// </summary>
public enum KeyType
{
    /// <summary>RSA; public key data is a DER SubjectPublicKeyInfo, private key data PKCS#1 DER.</summary>
    Rsa = 0,

    /// <summary>Ed25519; public key data is the 32-byte point, private key data seed || public key.</summary>
    Ed25519 = 1,

    /// <summary>Secp256k1 (not supported by this node for its own identity).</summary>
    Secp256k1 = 2,

    /// <summary>ECDSA (not supported by this node for its own identity).</summary>
    Ecdsa = 3,
}
