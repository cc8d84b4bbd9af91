// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Multiformats;

/// <summary>
/// A multiaddr (multiformats/multiaddr README): a self-describing network address such as
/// <c>/ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…</c>. The binary form is a sequence of
/// <c>&lt;code varint&gt;&lt;value&gt;</c> components, where the value is fixed-size or varint-length-prefixed
/// according to the protocol table (<see cref="MultiaddrProtocol"/>). Instances are immutable, always valid,
/// and compare by their binary form.
/// </summary>
/// <remarks>
/// Every input is bounded (<see cref="MaxBinaryLength"/>, <see cref="MaxTextLength"/>,
/// <see cref="MaxComponents"/>, <see cref="MaxTextValueLength"/>) and validated: unknown protocols,
/// truncated values, non-minimal varints, malformed IP addresses, ports over 65535, empty or non-UTF-8 names and
/// invalid peer ids are rejected. Both the text and the binary parsers throw <see cref="FormatException"/>
/// (and only that) with the reason; <see cref="TryParse(string?, out Multiaddr?)"/> and
/// <see cref="TryFromBytes(ReadOnlySpan{byte}, out Multiaddr?)"/> never throw. Code handling a remote peer's
/// addresses should use the <c>Try</c> forms and skip (or, where the protocol requires it, reject) bad ones.
/// </remarks>
public sealed class Multiaddr : IEquatable<Multiaddr>
{
    /// <summary>Longest binary form accepted; real addresses are well under 100 bytes.</summary>
    public const int MaxBinaryLength = 1024;

    /// <summary>Longest text form accepted.</summary>
    public const int MaxTextLength = 2048;

    /// <summary>Most components accepted in one address.</summary>
    public const int MaxComponents = 32;

    /// <summary>Longest UTF-8 value of a <c>dns*</c> or <c>ip6zone</c> component (RFC 1035 §2.3.4 caps a name at 255 octets).</summary>
    public const int MaxTextValueLength = 255;

    private static readonly SearchValues<char> Ip6Chars = SearchValues.Create("0123456789abcdefABCDEF:.");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _bytes;
    private readonly MultiaddrComponent[] _components;
    private string? _text;

    private Multiaddr(byte[] bytes, MultiaddrComponent[] components)
    {
        _bytes = bytes;
        _components = components;
    }

    /// <summary>The binary form.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The components, in order; never empty.</summary>
    public IReadOnlyList<MultiaddrComponent> Components => _components;

    /// <summary>
    /// The peer id of the final <c>/p2p</c> component, or null when the address does not end with one.
    /// A <c>/p2p</c> component followed by others (<c>/p2p/&lt;relay&gt;/p2p-circuit</c>) names a relay, not the
    /// peer reached at the address, so it is not reported here.
    /// </summary>
    public PeerId? PeerId
    {
        get
        {
            var last = _components[^1];
            return ReferenceEquals(last.Protocol, MultiaddrProtocol.P2P) ? PeerId.FromMultihash(last.Value.Span) : null;
        }
    }

    /// <summary>
    /// True when the first component is a loopback address: <c>127.0.0.0/8</c>, <c>::1</c>, or the DNS name
    /// <c>localhost</c> (RFC 6761 §6.3).
    /// </summary>
    public bool IsLoopback => _components[0] switch
    {
        var c when IsIp(c) => IPAddress.IsLoopback(ToIPAddress(c)),
        var c when IsDns(c) => c.TextValue!.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || c.TextValue.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    /// <summary>
    /// True when the first component is a non-public IP address: RFC 1918 (<c>10/8</c>, <c>172.16/12</c>,
    /// <c>192.168/16</c>), shared CGNAT space (<c>100.64/10</c>, RFC 6598), link-local (<c>169.254/16</c>,
    /// <c>fe80::/10</c>) or IPv6 unique-local (<c>fc00::/7</c>). Loopback addresses are not included.
    /// </summary>
    public bool IsPrivate
    {
        get
        {
            var first = _components[0];
            if (!IsIp(first))
            {
                return false;
            }

            var address = ToIPAddress(first);
            if (address.IsIPv4MappedToIPv6)
            {
                address = address.MapToIPv4();
            }

            if (address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                return address.IsIPv6LinkLocal || address.IsIPv6UniqueLocal;
            }

            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            return b[0] == 10
                || (b[0] == 172 && (b[1] & 0xF0) == 16)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 100 && (b[1] & 0xC0) == 64);
        }
    }

    /// <summary>Parses the text form, e.g. <c>/ip4/127.0.0.1/tcp/4001</c>.</summary>
    /// <exception cref="FormatException">The text is not a valid multiaddr; the message says why.</exception>
    public static Multiaddr Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text, out var multiaddr, out var error))
        {
            var shown = text.Length <= 256 ? "'" + text + "'" : "(" + text.Length.ToString(CultureInfo.InvariantCulture) + " characters)";
            throw new FormatException("Invalid multiaddr " + shown + ": " + error + ".");
        }

        return multiaddr;
    }

    /// <summary>Parses the text form (see <see cref="Parse"/>); returns false, never throwing, when it is invalid.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out Multiaddr? multiaddr)
    {
        if (text is null)
        {
            multiaddr = null;
            return false;
        }

        return TryParse(text, out multiaddr, out _);
    }

    /// <summary>Decodes the binary form.</summary>
    /// <exception cref="FormatException">The bytes are not a valid multiaddr; the message says why.</exception>
    public static Multiaddr FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (!TryDecode(bytes, out var multiaddr, out var error))
        {
            throw new FormatException(string.Format(
                CultureInfo.InvariantCulture, "Invalid binary multiaddr ({0} bytes): {1}.", bytes.Length, error));
        }

        return multiaddr;
    }

    /// <summary>Decodes the binary form; returns false, never throwing, when it is invalid.</summary>
    public static bool TryFromBytes(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? multiaddr) =>
        TryDecode(bytes, out multiaddr, out _);

    /// <summary>
    /// The TCP address of a socket end point: <c>/ip4/a.b.c.d/tcp/port</c> or <c>/ip6/…/tcp/port</c>. An
    /// IPv4-mapped IPv6 address (as dual-mode sockets report) becomes <c>/ip4</c>; an IPv6 scope id becomes a
    /// leading <c>/ip6zone</c>.
    /// </summary>
    public static Multiaddr FromEndPoint(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var address = endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address;
        var buffer = new List<byte>(32);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            WriteVarint(buffer, (ulong)MultiaddrProtocol.Ip4.Code);
            buffer.AddRange(address.GetAddressBytes());
        }
        else if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.ScopeId != 0)
            {
                var zone = Encoding.ASCII.GetBytes(address.ScopeId.ToString(CultureInfo.InvariantCulture));
                WriteVarint(buffer, (ulong)MultiaddrProtocol.Ip6Zone.Code);
                WriteVarint(buffer, (ulong)zone.Length);
                buffer.AddRange(zone);
            }

            WriteVarint(buffer, (ulong)MultiaddrProtocol.Ip6.Code);
            buffer.AddRange(address.GetAddressBytes());
        }
        else
        {
            throw new ArgumentException("Only IPv4 and IPv6 end points have a multiaddr, not " + address.AddressFamily + ".", nameof(endPoint));
        }

        WriteVarint(buffer, (ulong)MultiaddrProtocol.Tcp.Code);
        buffer.Add((byte)(endPoint.Port >> 8));
        buffer.Add((byte)endPoint.Port);
        return FromBytes(buffer.ToArray());
    }

    /// <summary>A copy of the binary form.</summary>
    public byte[] ToBytes() => (byte[])_bytes.Clone();

    /// <summary>
    /// This address with <paramref name="other"/> appended (<c>/ip4/1.2.3.4/tcp/1</c> + <c>/p2p/Qm…</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The result would break a limit or put a component after <c>/unix</c>.</exception>
    public Multiaddr Encapsulate(Multiaddr other)
    {
        ArgumentNullException.ThrowIfNull(other);
        byte[] combined = [.. _bytes, .. other._bytes];
        if (!TryDecode(combined, out var result, out var error))
        {
            throw new ArgumentException("Cannot encapsulate " + other + " in " + this + ": " + error + ".", nameof(other));
        }

        return result;
    }

    /// <summary>This address without its final <c>/p2p</c> component, or this address when it has none.</summary>
    /// <exception cref="InvalidOperationException">The address is only <c>/p2p/&lt;id&gt;</c>, leaving nothing.</exception>
    public Multiaddr WithoutPeerId()
    {
        if (!ReferenceEquals(_components[^1].Protocol, MultiaddrProtocol.P2P))
        {
            return this;
        }

        if (_components.Length == 1)
        {
            throw new InvalidOperationException("The multiaddr " + this + " is only a peer id; nothing is left without it.");
        }

        return FromBytes(_bytes.AsSpan(0, _bytes.Length - EncodedLength(_components[^1])));
    }

    /// <summary>This address ending in <c>/p2p/<paramref name="peerId"/></c>, replacing a final <c>/p2p</c> component.</summary>
    /// <exception cref="ArgumentException">The result would exceed <see cref="MaxBinaryLength"/> or follow a <c>/unix</c> path.</exception>
    public Multiaddr WithPeerId(PeerId peerId)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        var keep = ReferenceEquals(_components[^1].Protocol, MultiaddrProtocol.P2P)
            ? _bytes.Length - EncodedLength(_components[^1])
            : _bytes.Length;
        var buffer = new List<byte>(keep + 40);
        buffer.AddRange(_bytes.AsSpan(0, keep));
        WriteVarint(buffer, (ulong)MultiaddrProtocol.P2P.Code);
        WriteVarint(buffer, (ulong)peerId.Multihash.Length);
        buffer.AddRange(peerId.Multihash.Span);
        if (!TryDecode(buffer.ToArray(), out var result, out var error))
        {
            throw new ArgumentException("Cannot add peer id " + peerId + " to " + this + ": " + error + ".", nameof(peerId));
        }

        return result;
    }

    /// <summary>
    /// The host and port to open a plain TCP connection to: true for <c>/ip4|ip6|dns|dns4|dns6/…/tcp/…</c>
    /// (also with a leading <c>/ip6zone</c>, giving <c>fe80::1%zone</c>) optionally followed by <c>/p2p/…</c>.
    /// False for anything that needs another transport or a resolution step first (<c>/ws</c>, <c>/tls</c>,
    /// <c>/quic-v1</c>, <c>/p2p-circuit</c>, <c>/dnsaddr</c>, <c>/unix</c>, …).
    /// </summary>
    public bool TryGetTcpTarget([NotNullWhen(true)] out string? host, out int port)
    {
        host = null;
        port = 0;
        var count = _components.Length;
        if (ReferenceEquals(_components[^1].Protocol, MultiaddrProtocol.P2P))
        {
            count--;
        }

        if (count < 2 || !ReferenceEquals(_components[count - 1].Protocol, MultiaddrProtocol.Tcp))
        {
            return false;
        }

        var first = _components[0];
        if (count == 2 && (IsIp(first) || IsDns(first)))
        {
            host = first.TextValue!;
        }
        else if (count == 3
            && ReferenceEquals(first.Protocol, MultiaddrProtocol.Ip6Zone)
            && ReferenceEquals(_components[1].Protocol, MultiaddrProtocol.Ip6))
        {
            host = _components[1].TextValue + "%" + first.TextValue;
        }
        else
        {
            return false;
        }

        port = BinaryPrimitives.ReadUInt16BigEndian(_components[count - 1].Value.Span);
        return true;
    }

    /// <summary>The canonical text form (<c>p2p</c> ids in base58btc, IPv6 per RFC 5952).</summary>
    public override string ToString() => _text ??= string.Concat(_components.Select(static c => c.ToString()));

    /// <inheritdoc />
    public bool Equals(Multiaddr? other) => other is not null && other._bytes.AsSpan().SequenceEqual(_bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Multiaddr);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(_bytes);
        return hash.ToHashCode();
    }

    /// <summary>Value equality.</summary>
    public static bool operator ==(Multiaddr? left, Multiaddr? right) => left is null ? right is null : left.Equals(right);

    /// <summary>Value inequality.</summary>
    public static bool operator !=(Multiaddr? left, Multiaddr? right) => !(left == right);

    private static bool IsIp(MultiaddrComponent c) =>
        ReferenceEquals(c.Protocol, MultiaddrProtocol.Ip4) || ReferenceEquals(c.Protocol, MultiaddrProtocol.Ip6);

    private static bool IsDns(MultiaddrComponent c) =>
        ReferenceEquals(c.Protocol, MultiaddrProtocol.Dns)
        || ReferenceEquals(c.Protocol, MultiaddrProtocol.Dns4)
        || ReferenceEquals(c.Protocol, MultiaddrProtocol.Dns6);

    private static IPAddress ToIPAddress(MultiaddrComponent c) => new(c.Value.Span);

    private static int EncodedLength(MultiaddrComponent c)
    {
        var length = UVarint.GetByteCount((ulong)c.Code) + c.Value.Length;
        return c.Protocol.FixedLength < 0 ? length + UVarint.GetByteCount((ulong)c.Value.Length) : length;
    }

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        Span<byte> scratch = stackalloc byte[UVarint.MaxLength];
        UVarint.TryWrite(scratch, value, out var written);
        buffer.AddRange(scratch[..written]);
    }

    private static bool TryDecode(ReadOnlySpan<byte> bytes, [NotNullWhen(true)] out Multiaddr? multiaddr, out string? error)
    {
        multiaddr = null;
        if (bytes.IsEmpty)
        {
            error = "it is empty";
            return false;
        }

        if (bytes.Length > MaxBinaryLength)
        {
            error = string.Format(CultureInfo.InvariantCulture, "longer than {0} bytes", MaxBinaryLength);
            return false;
        }

        var components = new List<MultiaddrComponent>();
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (components.Count == MaxComponents)
            {
                error = string.Format(CultureInfo.InvariantCulture, "more than {0} components", MaxComponents);
                return false;
            }

            if (components.Count > 0 && ReferenceEquals(components[^1].Protocol, MultiaddrProtocol.Unix))
            {
                // multiaddr README §unix: a path takes the rest of the text form, so nothing may follow it.
                error = "a /unix path must be the last component";
                return false;
            }

            if (!UVarint.TryRead(bytes[offset..], out var code, out var consumed))
            {
                error = string.Format(CultureInfo.InvariantCulture, "truncated or non-minimal protocol code varint at offset {0}", offset);
                return false;
            }

            if (!MultiaddrProtocol.TryGetByCode(code, out var protocol))
            {
                error = string.Format(CultureInfo.InvariantCulture, "unknown protocol code {0} at offset {1}", code, offset);
                return false;
            }

            offset += consumed;
            var length = protocol.FixedLength;
            if (length < 0)
            {
                if (!UVarint.TryRead(bytes[offset..], out var declared, out consumed))
                {
                    error = string.Format(
                        CultureInfo.InvariantCulture, "truncated or non-minimal /{0} value length at offset {1}", protocol.Name, offset);
                    return false;
                }

                offset += consumed;
                if (declared > (ulong)(bytes.Length - offset))
                {
                    error = string.Format(
                        CultureInfo.InvariantCulture,
                        "truncated /{0} value: {1} bytes declared, {2} remain",
                        protocol.Name,
                        declared,
                        bytes.Length - offset);
                    return false;
                }

                length = (int)declared;
            }
            else if (length > bytes.Length - offset)
            {
                error = string.Format(
                    CultureInfo.InvariantCulture,
                    "truncated /{0} value: {1} bytes needed, {2} remain",
                    protocol.Name,
                    length,
                    bytes.Length - offset);
                return false;
            }

            var value = bytes.Slice(offset, length);
            offset += length;
            if (!TryFormatValue(protocol, value, out var text, out error))
            {
                error = "/" + protocol.Name + ": " + error;
                return false;
            }

            components.Add(new MultiaddrComponent(protocol, value.ToArray(), text));
        }

        multiaddr = new Multiaddr(bytes.ToArray(), [.. components]);
        error = null;
        return true;
    }

    private static bool TryFormatValue(MultiaddrProtocol protocol, ReadOnlySpan<byte> value, out string? text, out string? error)
    {
        text = null;
        error = null;
        switch (protocol.ValueKind)
        {
            case MultiaddrValueKind.None:
                return true;

            case MultiaddrValueKind.Ip4:
                text = string.Create(CultureInfo.InvariantCulture, $"{value[0]}.{value[1]}.{value[2]}.{value[3]}");
                return true;

            case MultiaddrValueKind.Ip6:
                text = new IPAddress(value).ToString();
                return true;

            case MultiaddrValueKind.Port:
                text = BinaryPrimitives.ReadUInt16BigEndian(value).ToString(CultureInfo.InvariantCulture);
                return true;

            case MultiaddrValueKind.Text:
                if (value.IsEmpty || value.Length > MaxTextValueLength)
                {
                    error = string.Format(CultureInfo.InvariantCulture, "the value must be 1 to {0} bytes, not {1}", MaxTextValueLength, value.Length);
                    return false;
                }

                return TryDecodeUtf8(value, out text, out error);

            case MultiaddrValueKind.PeerId:
                if (!PeerId.TryFromMultihash(value, out var peerId))
                {
                    error = "the value is not a peer id multihash (identity of at most 42 bytes, or sha2-256)";
                    return false;
                }

                text = peerId.ToBase58();
                return true;

            case MultiaddrValueKind.Path:
                if (value.IsEmpty)
                {
                    error = "the path is empty";
                    return false;
                }

                // The text form writes the path right after "/unix", and go and js keep its leading '/' in the binary
                // value; a value without one would print as a different address, so it is not canonical.
                if (value[0] != (byte)'/')
                {
                    error = "the path must start with '/'";
                    return false;
                }

                return TryDecodeUtf8(value, out text, out error, allowSlash: true);

            default:
                error = "unsupported value kind";
                return false;
        }
    }

    private static bool TryDecodeUtf8(ReadOnlySpan<byte> value, [NotNullWhen(true)] out string? text, out string? error, bool allowSlash = false)
    {
        text = null;
        try
        {
            text = StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException)
        {
            error = "the value is not valid UTF-8";
            return false;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c) || (c == '/' && !allowSlash))
            {
                error = string.Format(
                    CultureInfo.InvariantCulture, "the value contains U+{0:X4}, which the text form cannot carry", (int)c);
                text = null;
                return false;
            }
        }

        error = null;
        return true;
    }

    private static bool TryParse(string text, [NotNullWhen(true)] out Multiaddr? multiaddr, out string? error)
    {
        multiaddr = null;
        if (text.Length == 0)
        {
            error = "it is empty";
            return false;
        }

        if (text.Length > MaxTextLength)
        {
            error = string.Format(CultureInfo.InvariantCulture, "longer than {0} characters", MaxTextLength);
            return false;
        }

        if (text[0] != '/')
        {
            error = "it must start with '/'";
            return false;
        }

        // One trailing '/' is tolerated, as go-multiaddr and js-multiaddr do ("/ip4/1.2.3.4/").
        var rest = text.AsSpan(1);
        if (rest.EndsWith('/'))
        {
            rest = rest[..^1];
        }

        if (rest.IsEmpty)
        {
            error = "it has no components";
            return false;
        }

        var buffer = new List<byte>(64);
        var count = 0;
        while (!rest.IsEmpty)
        {
            if (++count > MaxComponents)
            {
                error = string.Format(CultureInfo.InvariantCulture, "more than {0} components", MaxComponents);
                return false;
            }

            var name = TakeSegment(ref rest);
            if (name.IsEmpty)
            {
                error = "empty protocol name (a doubled '/')";
                return false;
            }

            if (!MultiaddrProtocol.TryGetByName(name, out var protocol))
            {
                error = "unknown protocol '" + Shorten(name) + "'";
                return false;
            }

            WriteVarint(buffer, (ulong)protocol.Code);
            if (protocol.ValueKind == MultiaddrValueKind.None)
            {
                continue;
            }

            if (protocol.ValueKind == MultiaddrValueKind.Path)
            {
                // multiaddr README §unix: the path is everything after "/unix", leading '/' included.
                if (rest.IsEmpty || rest.SequenceEqual("/"))
                {
                    error = "/unix needs a path";
                    return false;
                }

                if (!TryEncodeUtf8("/" + rest.ToString(), buffer, int.MaxValue, out error, allowSlash: true))
                {
                    error = "/unix: " + error;
                    return false;
                }

                break;
            }

            if (rest.IsEmpty)
            {
                error = "/" + protocol.Name + " needs a value";
                return false;
            }

            var value = TakeSegment(ref rest);
            if (!TryEncodeValue(protocol, value, buffer, out error))
            {
                error = "/" + protocol.Name + ": " + error;
                return false;
            }
        }

        if (buffer.Count > MaxBinaryLength)
        {
            error = string.Format(CultureInfo.InvariantCulture, "its binary form is longer than {0} bytes", MaxBinaryLength);
            return false;
        }

        // Decoding the bytes just written gives the components and re-checks every value the same way as binary input.
        return TryDecode(buffer.ToArray(), out multiaddr, out error);
    }

    private static ReadOnlySpan<char> TakeSegment(ref ReadOnlySpan<char> rest)
    {
        var slash = rest.IndexOf('/');
        ReadOnlySpan<char> segment;
        if (slash < 0)
        {
            segment = rest;
            rest = [];
        }
        else
        {
            segment = rest[..slash];
            rest = rest[(slash + 1)..];
            if (rest.IsEmpty)
            {
                // "/a//" was trimmed to "/a/": the '/' just consumed ends with nothing after it, an empty segment.
                rest = "/";
            }
        }

        return segment;
    }

    private static bool TryEncodeValue(MultiaddrProtocol protocol, ReadOnlySpan<char> value, List<byte> buffer, out string? error)
    {
        if (value.IsEmpty)
        {
            error = "empty value (a doubled '/')";
            return false;
        }

        error = null;
        switch (protocol.ValueKind)
        {
            case MultiaddrValueKind.Ip4:
                Span<byte> ip4 = stackalloc byte[4];
                if (!TryParseIp4(value, ip4))
                {
                    error = "'" + Shorten(value) + "' is not a dotted-decimal IPv4 address";
                    return false;
                }

                buffer.AddRange(ip4);
                return true;

            case MultiaddrValueKind.Ip6:
                // IPAddress.TryParse also takes brackets, scope ids and IPv4 text; only bare IPv6 text is an ip6 value.
                if (value.Length > 45
                    || value.ContainsAnyExcept(Ip6Chars)
                    || !value.Contains(':')
                    || !IPAddress.TryParse(value, out var ip6)
                    || ip6.AddressFamily != AddressFamily.InterNetworkV6)
                {
                    error = "'" + Shorten(value) + "' is not an IPv6 address";
                    return false;
                }

                buffer.AddRange(ip6.GetAddressBytes());
                return true;

            case MultiaddrValueKind.Port:
                if (value.Length > 5 || value.ContainsAnyExceptInRange('0', '9')
                    || !int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > ushort.MaxValue)
                {
                    error = "'" + Shorten(value) + "' is not a port number from 0 to 65535";
                    return false;
                }

                buffer.Add((byte)(port >> 8));
                buffer.Add((byte)port);
                return true;

            case MultiaddrValueKind.Text:
                if (!TryEncodeUtf8(value.ToString(), buffer, MaxTextValueLength, out error))
                {
                    return false;
                }

                return true;

            case MultiaddrValueKind.PeerId:
                if (!Identity.PeerId.TryParse(value.ToString(), out var peerId))
                {
                    error = "'" + Shorten(value) + "' is not a peer id (base58btc multihash or CIDv1)";
                    return false;
                }

                WriteVarint(buffer, (ulong)peerId.Multihash.Length);
                buffer.AddRange(peerId.Multihash.Span);
                return true;

            default:
                error = "unsupported value kind";
                return false;
        }
    }

    private static bool TryEncodeUtf8(string value, List<byte> buffer, int maxBytes, out string? error, bool allowSlash = false)
    {
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException)
        {
            error = "the value is not valid Unicode text";
            return false;
        }

        if (bytes.Length > maxBytes)
        {
            error = string.Format(CultureInfo.InvariantCulture, "the value is {0} UTF-8 bytes; at most {1} are allowed", bytes.Length, maxBytes);
            return false;
        }

        foreach (var c in value)
        {
            if (char.IsControl(c) || (c == '/' && !allowSlash))
            {
                error = string.Format(CultureInfo.InvariantCulture, "the value contains U+{0:X4}", (int)c);
                return false;
            }
        }

        WriteVarint(buffer, (ulong)bytes.Length);
        buffer.AddRange(bytes);
        error = null;
        return true;
    }

    // Strict dotted decimal: four parts of 1 to 3 digits, each at most 255, no leading zeros (which some parsers
    // read as octal), nothing else; IPAddress.TryParse would also take "1", "0x7f.1" or "127.1".
    private static bool TryParseIp4(ReadOnlySpan<char> text, Span<byte> destination)
    {
        var part = 0;
        while (part < 4)
        {
            var end = text.IndexOf('.');
            var digits = end < 0 ? text : text[..end];
            if (digits.IsEmpty || digits.Length > 3 || digits.ContainsAnyExceptInRange('0', '9') || (digits.Length > 1 && digits[0] == '0'))
            {
                return false;
            }

            var number = int.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
            if (number > 255)
            {
                return false;
            }

            destination[part++] = (byte)number;
            if (end < 0)
            {
                return part == 4;
            }

            text = text[(end + 1)..];
        }

        return false;
    }

    private static string Shorten(ReadOnlySpan<char> value) => value.Length <= 64 ? value.ToString() : value[..64].ToString() + "…";
}
