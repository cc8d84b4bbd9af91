// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers.Binary;
using System.Security.Cryptography;

namespace KwaaiNet.Libp2p.Noise;

/// <summary>
/// A Noise <c>CipherState</c> for ChaChaPoly (Noise Protocol Framework rev. 34 §5.1 and §12.3): a 32-byte key,
/// a 64-bit message counter, and one long-lived <see cref="ChaCha20Poly1305"/> instance so that no key schedule or
/// native context is set up per message.
/// </summary>
internal sealed class NoiseCipherState : IDisposable
{
    /// <summary>Length of the ChaChaPoly key.</summary>
    public const int KeyLength = 32;

    /// <summary>Length of the Poly1305 authentication tag appended to every ciphertext.</summary>
    public const int TagLength = 16;

    private const int NonceLength = 12;

    private readonly ChaCha20Poly1305 _aead;
    private ulong _nonce;
    private bool _disposed;

    public NoiseCipherState(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("A ChaChaPoly key is 32 bytes.", nameof(key));
        }

        _aead = new ChaCha20Poly1305(key);
    }

    /// <summary>The nonce the next message uses.</summary>
    public ulong Nonce => _nonce;

    /// <summary>Sets the counter; only for tests of the nonce limit.</summary>
    internal void SetNonceForTesting(ulong nonce) => _nonce = nonce;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> into <paramref name="destination"/> (ciphertext followed by the tag,
    /// <c>plaintext.Length + 16</c> bytes) and advances the nonce. The two may overlap exactly (in place).
    /// </summary>
    /// <exception cref="InvalidOperationException">The nonce is exhausted: the connection must be closed.</exception>
    public void Encrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        // §5.1: n = 2^64-1 is reserved; EncryptWithAd must fail rather than reuse or wrap the counter.
        if (_nonce == ulong.MaxValue)
        {
            throw new InvalidOperationException("The Noise send nonce is exhausted (2^64-1 messages); the connection must be closed.");
        }

        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, _nonce);
        _aead.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, TagLength), associatedData);
        _nonce++;
    }

    /// <summary>
    /// Decrypts <paramref name="ciphertext"/> (ciphertext followed by the 16-byte tag) into
    /// <paramref name="destination"/> (<c>ciphertext.Length - 16</c> bytes) and advances the nonce. Returns false
    /// when the tag does not verify; the nonce is then unchanged and the caller must drop the connection.
    /// </summary>
    /// <exception cref="Libp2pProtocolException">The receive nonce is exhausted.</exception>
    public bool TryDecrypt(ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, Span<byte> destination)
    {
        if (_nonce == ulong.MaxValue)
        {
            throw new Libp2pProtocolException("The peer sent 2^64-1 Noise messages; the receive nonce is exhausted.");
        }

        var bodyLength = ciphertext.Length - TagLength;
        Span<byte> nonce = stackalloc byte[NonceLength];
        WriteNonce(nonce, _nonce);
        try
        {
            _aead.Decrypt(nonce, ciphertext[..bodyLength], ciphertext[bodyLength..], destination[..bodyLength], associatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }

        _nonce++;
        return true;
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _aead.Dispose();
        }
    }

    // §12.3 (ChaChaPoly): 32 bits of zeros followed by the little-endian 64-bit counter.
    private static void WriteNonce(Span<byte> nonce, ulong counter)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(nonce, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(nonce[4..], counter);
    }
}
