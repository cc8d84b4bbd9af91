// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Tests.Identity;

public sealed class UVarintTests
{
    [Theory]
    [InlineData(0UL, "00")]
    [InlineData(1UL, "01")]
    [InlineData(127UL, "7f")]
    [InlineData(128UL, "8001")]
    [InlineData(255UL, "ff01")]
    [InlineData(300UL, "ac02")]
    [InlineData(16384UL, "808001")]
    [InlineData(UVarint.MaxValue, "ffffffffffffffff7f")]
    public void TryWrite_KnownValues_ProducesSpecEncoding(ulong value, string expectedHex)
    {
        Span<byte> buffer = stackalloc byte[UVarint.MaxLength];

        Assert.True(UVarint.TryWrite(buffer, value, out var written));

        Assert.Equal(expectedHex, Convert.ToHexStringLower(buffer[..written]));
        Assert.Equal(written, UVarint.GetByteCount(value));
        Assert.True(UVarint.TryRead(buffer[..written], out var read, out var consumed));
        Assert.Equal(value, read);
        Assert.Equal(written, consumed);
    }

    [Fact]
    public void TryRead_TrailingBytes_ConsumesOnlyTheVarint()
    {
        Assert.True(UVarint.TryRead([0xAC, 0x02, 0xFF], out var value, out var consumed));

        Assert.Equal(300UL, value);
        Assert.Equal(2, consumed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("80")]
    [InlineData("ac")]
    [InlineData("ffff")]
    public void TryRead_Truncated_ReturnsFalse(string hex)
    {
        Assert.False(UVarint.TryRead(Convert.FromHexString(hex), out _, out var consumed));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("8000")]
    [InlineData("ff00")]
    [InlineData("808000")]
    public void TryRead_NonMinimal_ReturnsFalse(string hex)
    {
        Assert.False(UVarint.TryRead(Convert.FromHexString(hex), out _, out _));
    }

    [Fact]
    public void TryRead_TenBytes_ReturnsFalse()
    {
        byte[] tooLong = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01];

        Assert.False(UVarint.TryRead(tooLong, out _, out _));
    }

    [Fact]
    public void TryWrite_DestinationTooSmall_ReturnsFalse()
    {
        Span<byte> buffer = stackalloc byte[1];

        Assert.False(UVarint.TryWrite(buffer, 300, out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void GetByteCount_AboveMaxValue_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => UVarint.GetByteCount(ulong.MaxValue));
    }
}
