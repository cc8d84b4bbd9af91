// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Security.Cryptography;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// The Noise <c>SymmetricState</c> (Noise Protocol Framework rev. 34 §5.2) for SHA256 and ChaChaPoly: the chaining
/// key <c>ck</c>, the handshake hash <c>h</c>, and the handshake <see cref="NoiseCipherState"/> once a key is mixed in.
/// </summary>
internal sealed class NoiseSymmetricState : IDisposable
{
    /// <summary>HASHLEN for SHA256.</summary>
    public const int HashLength = 32;

    private readonly byte[] _ck = new byte[HashLength];
    private readonly byte[] _h = new byte[HashLength];
    private NoiseCipherState? _cipher;

    /// <summary><c>InitializeSymmetric(protocol_name)</c>.</summary>
    public NoiseSymmetricState(ReadOnlySpan<byte> protocolName)
    {
        // §5.2: a name of at most HASHLEN bytes is zero-padded into h; a longer one is hashed.
        if (protocolName.Length <= HashLength)
        {
            protocolName.CopyTo(_h);
        }
        else
        {
            SHA256.HashData(protocolName, _h);
        }

        _h.CopyTo(_ck, 0);
    }

    /// <summary>True once a key has been mixed in, so that payloads are encrypted.</summary>
    public bool HasKey => _cipher is not null;

    /// <summary>The handshake hash <c>h</c>; after the last message it is the channel binding value.</summary>
    public ReadOnlySpan<byte> HandshakeHash => _h;

    /// <summary><c>MixKey(input_key_material)</c>: <c>ck, temp_k = HKDF(ck, ikm, 2)</c>, then a fresh cipher (nonce 0).</summary>
    public void MixKey(ReadOnlySpan<byte> inputKeyMaterial)
    {
        Span<byte> output = stackalloc byte[2 * HashLength];
        try
        {
            Hkdf(_ck, inputKeyMaterial, output);
            output[..HashLength].CopyTo(_ck);
            _cipher?.Dispose();
            _cipher = new NoiseCipherState(output.Slice(HashLength, NoiseCipherState.KeyLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    /// <summary><c>MixHash(data)</c>: <c>h = HASH(h || data)</c>.</summary>
    public void MixHash(ReadOnlySpan<byte> data)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(_h);
        hash.AppendData(data);
        hash.GetHashAndReset(_h);
    }

    /// <summary>Bytes <see cref="EncryptAndHash"/> writes for <paramref name="plaintextLength"/> bytes.</summary>
    public int GetCiphertextLength(int plaintextLength) =>
        HasKey ? plaintextLength + NoiseCipherState.TagLength : plaintextLength;

    /// <summary><c>EncryptAndHash(plaintext)</c> into <paramref name="destination"/>; returns the bytes written.</summary>
    public int EncryptAndHash(ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var length = GetCiphertextLength(plaintext.Length);
        if (_cipher is null)
        {
            plaintext.CopyTo(destination);
        }
        else
        {
            _cipher.Encrypt(_h, plaintext, destination);
        }

        MixHash(destination[..length]);
        return length;
    }

    /// <summary>
    /// <c>DecryptAndHash(ciphertext)</c> into <paramref name="destination"/>. Returns false when the tag does not
    /// verify (the handshake must then be aborted).
    /// </summary>
    public bool TryDecryptAndHash(ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (_cipher is null)
        {
            ciphertext.CopyTo(destination);
        }
        else if (!_cipher.TryDecrypt(_h, ciphertext, destination))
        {
            return false;
        }

        MixHash(ciphertext);
        return true;
    }

    /// <summary><c>Split()</c>: the two transport ciphers, the initiator's sending one first.</summary>
    public (NoiseCipherState First, NoiseCipherState Second) Split()
    {
        Span<byte> output = stackalloc byte[2 * HashLength];
        try
        {
            Hkdf(_ck, [], output);
            return (new NoiseCipherState(output[..NoiseCipherState.KeyLength]),
                new NoiseCipherState(output.Slice(HashLength, NoiseCipherState.KeyLength)));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
        }
    }

    public void Dispose()
    {
        _cipher?.Dispose();
        _cipher = null;
        CryptographicOperations.ZeroMemory(_ck);
    }

    // §4.3 HKDF(chaining_key, input_key_material, 2), written out with HMAC-SHA256: it equals RFC 5869 with
    // salt = ck and empty info, but .NET's HKDF rejects the empty input key material that Split() uses (OpenSSL).
    private static void Hkdf(ReadOnlySpan<byte> chainingKey, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> output)
    {
        Span<byte> tempKey = stackalloc byte[HashLength];
        Span<byte> block = stackalloc byte[HashLength + 1];
        try
        {
            HMACSHA256.HashData(chainingKey, inputKeyMaterial, tempKey);
            block[0] = 0x01;
            HMACSHA256.HashData(tempKey, block[..1], output[..HashLength]);
            output[..HashLength].CopyTo(block);
            block[HashLength] = 0x02;
            HMACSHA256.HashData(tempKey, block, output.Slice(HashLength, HashLength));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(tempKey);
            CryptographicOperations.ZeroMemory(block);
        }
    }
}
