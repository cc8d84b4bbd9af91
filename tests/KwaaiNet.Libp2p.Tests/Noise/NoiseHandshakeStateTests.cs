// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Noise;

namespace KwaaiNet.Libp2p.Tests.Noise;

public sealed class NoiseHandshakeStateTests
{
    // cacophony Noise_XX_25519_ChaChaPoly_SHA256 (research §2.5). Messages 1-3 are the handshake, 4-6 transport
    // messages after Split(), alternating from the responder.
    private const string Prologue = "4a6f686e2047616c74";
    private const string InitStatic = "e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1";
    private const string InitEphemeral = "893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a";
    private const string RespStatic = "4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893";
    private const string RespEphemeral = "bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b";
    private const string HandshakeHash = "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e";
    private const string Payload1 = "4c756477696720766f6e204d69736573";
    private const string Message1 = "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573";
    private const string Payload2 = "4d757272617920526f746862617264";
    private const string Message2 = "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad";
    private const string Payload3 = "462e20412e20486179656b";
    private const string Message3 = "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030";
    private const string Payload4 = "4361726c204d656e676572";
    private const string Message4 = "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df";
    private const string Payload5 = "4a65616e2d426170746973746520536179";
    private const string Message5 = "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5";
    private const string Payload6 = "457567656e2042f6686d20766f6e2042617765726b";
    private const string Message6 = "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f";

    [Fact]
    public void Handshake_CacophonyVector_BothRolesReproduceEveryByte()
    {
        using var initiator = new NoiseHandshakeState(true, Hex(Prologue), Hex(InitStatic), Hex(InitEphemeral));
        using var responder = new NoiseHandshakeState(false, Hex(Prologue), Hex(RespStatic), Hex(RespEphemeral));

        Assert.Equal(Message1, Write(initiator, Payload1));
        Assert.Equal(Payload1, Read(responder, Message1));
        Assert.Equal(Message2, Write(responder, Payload2));
        Assert.Equal(Payload2, Read(initiator, Message2));
        Assert.Equal(Message3, Write(initiator, Payload3));
        Assert.Equal(Payload3, Read(responder, Message3));

        Assert.True(initiator.IsComplete);
        Assert.True(responder.IsComplete);
        Assert.Equal(HandshakeHash, Convert.ToHexStringLower(initiator.HandshakeHash));
        Assert.Equal(HandshakeHash, Convert.ToHexStringLower(responder.HandshakeHash));
        Assert.Equal(Convert.ToHexStringLower(initiator.LocalStaticPublicKey), Convert.ToHexStringLower(responder.RemoteStaticPublicKey));
        Assert.Equal(Convert.ToHexStringLower(responder.LocalStaticPublicKey), Convert.ToHexStringLower(initiator.RemoteStaticPublicKey));

        var (initiatorSendState, initiatorReceiveState) = initiator.Split();
        var (responderSendState, responderReceiveState) = responder.Split();
        using var initiatorSend = new NoiseTransportCipher(initiatorSendState);
        using var initiatorReceive = new NoiseTransportCipher(initiatorReceiveState);
        using var responderSend = new NoiseTransportCipher(responderSendState);
        using var responderReceive = new NoiseTransportCipher(responderReceiveState);

        Assert.Equal(Message4, Seal(responderSend, Payload4));
        Assert.Equal(Payload4, Open(initiatorReceive, Message4));
        Assert.Equal(Message5, Seal(initiatorSend, Payload5));
        Assert.Equal(Payload5, Open(responderReceive, Message5));
        Assert.Equal(Message6, Seal(responderSend, Payload6));
        Assert.Equal(Payload6, Open(initiatorReceive, Message6));
        Assert.Equal(2UL, responderSend.Nonce);
        Assert.Equal(1UL, initiatorSend.Nonce);
    }

    [Fact]
    public void ReadMessage_FlippedBitInVectorMessage2_ThrowsProtocolException()
    {
        using var initiator = new NoiseHandshakeState(true, Hex(Prologue), Hex(InitStatic), Hex(InitEphemeral));
        Write(initiator, Payload1);
        var tampered = Hex(Message2);
        tampered[^1] ^= 0x80;

        var ex = Assert.Throws<Libp2pProtocolException>(() => initiator.ReadMessage(tampered));
        Assert.Contains("message 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadMessage_ShortMessage_ThrowsProtocolException()
    {
        using var responder = new NoiseHandshakeState(false);

        var ex = Assert.Throws<Libp2pProtocolException>(() => responder.ReadMessage(new byte[31]));
        Assert.Contains("at least 32", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteMessage_LowOrderRemoteEphemeral_ThrowsProtocolException()
    {
        using var responder = new NoiseHandshakeState(false);
        responder.ReadMessage(new byte[32]);

        var ex = Assert.Throws<Libp2pProtocolException>(() => responder.WriteMessage([], new byte[200]));
        Assert.Contains("low-order", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteMessage_OutOfTurn_ThrowsInvalidOperation()
    {
        using var responder = new NoiseHandshakeState(false);

        Assert.Throws<InvalidOperationException>(() => responder.WriteMessage([], new byte[200]));
        Assert.Throws<InvalidOperationException>(() => responder.Split());
    }

    [Fact]
    public void CipherState_NonceAtLimit_RefusesBothDirections()
    {
        using var sender = new NoiseCipherState(new byte[32]);
        using var receiver = new NoiseCipherState(new byte[32]);
        sender.SetNonceForTesting(ulong.MaxValue - 1);
        receiver.SetNonceForTesting(ulong.MaxValue - 1);
        var message = new byte[16 + 3];
        sender.Encrypt([], [1, 2, 3], message);
        Assert.True(receiver.TryDecrypt([], message, new byte[3]));

        Assert.Throws<InvalidOperationException>(() => sender.Encrypt([], [1, 2, 3], message));
        Assert.Throws<Libp2pProtocolException>(() => receiver.TryDecrypt([], message, new byte[3]));
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);

    private static string Write(NoiseHandshakeState state, string payloadHex)
    {
        var payload = Hex(payloadHex);
        var message = new byte[NoiseHandshakeState.GetMessageLength(state.MessageIndex, payload.Length)];
        var length = state.WriteMessage(payload, message);
        Assert.Equal(message.Length, length);
        return Convert.ToHexStringLower(message);
    }

    private static string Read(NoiseHandshakeState state, string messageHex) =>
        Convert.ToHexStringLower(state.ReadMessage(Hex(messageHex)));

    private static string Seal(NoiseTransportCipher cipher, string payloadHex)
    {
        var payload = Hex(payloadHex);
        var frame = new byte[NoiseTransportCipher.GetFramedLength(payload.Length)];
        var written = cipher.SealFrames(payload, frame);
        Assert.Equal(frame.Length, written);
        Assert.Equal(frame.Length - 2, (frame[0] << 8) | frame[1]);
        return Convert.ToHexStringLower(frame.AsSpan(2));
    }

    private static string Open(NoiseTransportCipher cipher, string messageHex)
    {
        var message = Hex(messageHex);
        var length = cipher.OpenMessage(message, message);
        return Convert.ToHexStringLower(message.AsSpan(0, length));
    }
}
