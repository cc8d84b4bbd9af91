// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

namespace KwaaiNet.Libp2p.Multiformats;

/// <summary>
/// One <c>/name/value</c> component of a <see cref="Multiaddr"/>: its protocol, its binary value (without the
/// varint length prefix of variable-size protocols) and the value's canonical text form.
/// </summary>
public sealed class MultiaddrComponent : IEquatable<MultiaddrComponent>
{
    private readonly byte[] _value;

    internal MultiaddrComponent(MultiaddrProtocol protocol, byte[] value, string? textValue)
    {
        Protocol = protocol;
        _value = value;
        TextValue = textValue;
    }

    /// <summary>The protocol.</summary>
    public MultiaddrProtocol Protocol { get; }

    /// <summary>The multicodec code of <see cref="Protocol"/>.</summary>
    public int Code => Protocol.Code;

    /// <summary>The canonical protocol name (<c>p2p</c>, never the alias <c>ipfs</c>).</summary>
    public string Name => Protocol.Name;

    /// <summary>The binary value: empty for protocols without one, otherwise the bytes after any length prefix.</summary>
    public ReadOnlyMemory<byte> Value => _value;

    /// <summary>The canonical text of the value, or null for protocols without one.</summary>
    public string? TextValue { get; }

    /// <inheritdoc />
    public bool Equals(MultiaddrComponent? other) =>
        other is not null && ReferenceEquals(other.Protocol, Protocol) && other._value.AsSpan().SequenceEqual(_value);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as MultiaddrComponent);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Protocol.Code);
        hash.AddBytes(_value);
        return hash.ToHashCode();
    }

    /// <summary>The component's text form, <c>/name</c> or <c>/name/value</c>.</summary>
    public override string ToString() => TextValue is null
        ? "/" + Name
        : Protocol.ValueKind == MultiaddrValueKind.Path && TextValue.StartsWith('/')
            ? "/" + Name + TextValue
            : "/" + Name + "/" + TextValue;
}
