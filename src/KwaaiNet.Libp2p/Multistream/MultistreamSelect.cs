// SPDX-License-Identifier: MIT
// Copyright (c) 2026 KwaaiNet.Aspire contributors

using System.Buffers;
using System.Globalization;
using System.Text;
using KwaaiNet.Libp2p.Framing;
using KwaaiNet.Libp2p.Identity;

namespace KwaaiNet.Libp2p.Multistream;

/// <summary>
/// multistream-select 1.0 (libp2p/specs connections/README.md §Protocol Negotiation): every message is a varint
/// length, UTF-8 text and a newline. Used to agree on the security protocol and the muxer of a connection and on
/// the protocol of every stream.
/// </summary>
/// <remarks>
/// Protocol ids need not start with "/": hivemind registers handler names such as <c>DHTProtocol.rpc_ping</c> as
/// protocol ids verbatim (go-libp2p-daemon persistent_stream.go), and go and js accept them. Reads never consume a
/// byte past the message they read, so application bytes that a dialer pipelines behind its proposal (go's lazy
/// NewStream does) stay in the stream for the protocol handler.
/// </remarks>
public static class MultistreamSelect
{
    /// <summary>The protocol id both sides send first.</summary>
    public const string ProtocolId = "/multistream/1.0.0";

    /// <summary>The longest protocol id, in UTF-8 bytes (js MAX_PROTOCOL_LENGTH, "conforming to go-libp2p").</summary>
    public const int MaxProtocolLength = 1024;

    /// <summary>How many proposals a listener answers on one stream before it gives up on the dialer.</summary>
    public const int MaxProposals = 32;

    /// <summary>The largest <c>ls</c> answer a dialer accepts.</summary>
    public const int MaxListLength = 64 * 1024;

    private const string NotAvailable = "na";
    private const string List = "ls";
    private const int MaxLineLength = MaxProtocolLength + 1;

    /// <summary>
    /// As the dialer, proposes <paramref name="protocols"/> in order until the listener accepts one. The header and the
    /// first proposal go out in one write without waiting for the listener's header.
    /// </summary>
    /// <returns>The protocol the listener accepted.</returns>
    /// <exception cref="ProtocolNotSupportedException">The listener answered "na" to every proposal.</exception>
    /// <exception cref="Libp2pProtocolException">The listener broke the protocol.</exception>
    public static async Task<string> SelectAsync(Stream stream, IReadOnlyList<string> protocols, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(protocols);
        if (protocols.Count == 0)
        {
            throw new ArgumentException("At least one protocol is needed.", nameof(protocols));
        }

        foreach (var protocol in protocols)
        {
            ValidateOwnProtocol(protocol);
        }

        await WriteLinesAsync(stream, [ProtocolId, protocols[0]], cancellationToken).ConfigureAwait(false);
        await ExpectHeaderAsync(stream, cancellationToken).ConfigureAwait(false);
        for (var i = 0; ; i++)
        {
            var answer = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false)
                ?? throw new Libp2pProtocolException("The listener closed the stream during protocol negotiation.");
            if (answer == protocols[i])
            {
                return answer;
            }

            if (answer != NotAvailable)
            {
                throw new Libp2pProtocolException(string.Format(
                    CultureInfo.InvariantCulture, "The listener answered '{0}' to the proposal '{1}'.", Printable(answer), protocols[i]));
            }

            if (i + 1 == protocols.Count)
            {
                throw new ProtocolNotSupportedException(protocols);
            }

            await WriteLinesAsync(stream, [protocols[i + 1]], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>As the dialer, asks the listener for the protocols it supports (<c>ls</c>).</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        await WriteLinesAsync(stream, [ProtocolId, List], cancellationToken).ConfigureAwait(false);
        await ExpectHeaderAsync(stream, cancellationToken).ConfigureAwait(false);
        var blob = await LengthPrefixed.ReadAsync(stream, MaxListLength, cancellationToken).ConfigureAwait(false)
            ?? throw new Libp2pProtocolException("The listener closed the stream instead of answering 'ls'.");
        using var inner = new MemoryStream(blob, writable: false);
        var protocols = new List<string>();
        // The blob ends with a bare newline after the last length-prefixed line.
        while (inner.Position < inner.Length && !(inner.Position == inner.Length - 1 && blob[^1] == (byte)'\n'))
        {
            var line = await ReadLineAsync(inner, cancellationToken).ConfigureAwait(false);
            if (line is null || line.Length == 0)
            {
                break;
            }

            protocols.Add(line);
        }

        return protocols;
    }

    /// <summary>
    /// As the listener, answers proposals until one is supported: echoes it, answers "na" to the others and the
    /// list of <paramref name="supported"/> to <c>ls</c>.
    /// </summary>
    /// <param name="stream">The stream to negotiate on.</param>
    /// <param name="isSupported">Whether a proposed protocol has a handler (exact ids and prefixes alike).</param>
    /// <param name="supported">The protocols listed in answer to <c>ls</c>.</param>
    /// <param name="cancellationToken">Ends the negotiation (the caller's negotiation timeout).</param>
    /// <returns>The agreed protocol, or null when the dialer closed the stream without agreeing.</returns>
    /// <exception cref="Libp2pProtocolException">The dialer broke the protocol or proposed too many protocols.</exception>
    public static async Task<string?> HandleAsync(
        Stream stream, Func<string, bool> isSupported, Func<IEnumerable<string>> supported, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(isSupported);
        ArgumentNullException.ThrowIfNull(supported);
        var header = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
        if (header is null)
        {
            return null;
        }

        if (header != ProtocolId)
        {
            throw new Libp2pProtocolException("Expected the multistream-select header, got '" + Printable(header) + "'.");
        }

        // js answers the header only after it has received one; go sends it at once. Either way the dialer has
        // already sent its header, so ours can go now.
        await WriteLinesAsync(stream, [ProtocolId], cancellationToken).ConfigureAwait(false);
        for (var proposals = 0; proposals < MaxProposals; proposals++)
        {
            var proposal = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false);
            if (proposal is null)
            {
                return null;
            }

            if (proposal == List)
            {
                await WriteListAsync(stream, supported(), cancellationToken).ConfigureAwait(false);
            }
            else if (proposal.Length > 0 && isSupported(proposal))
            {
                await WriteLinesAsync(stream, [proposal], cancellationToken).ConfigureAwait(false);
                return proposal;
            }
            else
            {
                await WriteLinesAsync(stream, [NotAvailable], cancellationToken).ConfigureAwait(false);
            }
        }

        throw new Libp2pProtocolException(string.Format(
            CultureInfo.InvariantCulture, "The dialer made more than {0} proposals without agreeing on a protocol.", MaxProposals));
    }

    /// <summary>Encodes one message: varint length, the UTF-8 text and a newline.</summary>
    /// <returns>The bytes written to <paramref name="destination"/>.</returns>
    public static int EncodeLine(string text, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        var length = Encoding.UTF8.GetByteCount(text) + 1;
        Span<byte> line = length <= 256 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(text, line);
        line[^1] = (byte)'\n';
        return LengthPrefixed.Encode(line, destination);
    }

    /// <summary>Reads one message and returns its text without the newline; null on a clean end of stream.</summary>
    /// <exception cref="Libp2pProtocolException">The message is too long, lacks its newline, or is not UTF-8.</exception>
    public static async ValueTask<string?> ReadLineAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        var line = await LengthPrefixed.ReadAsync(stream, MaxLineLength, cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            return null;
        }

        if (line.Length == 0 || line[^1] != (byte)'\n')
        {
            throw new Libp2pProtocolException("A multistream-select message does not end with a newline.");
        }

        var text = line.AsSpan(0, line.Length - 1);
        if (text.Contains((byte)'\n'))
        {
            throw new Libp2pProtocolException("A multistream-select message holds more than one line.");
        }

        try
        {
            return StrictUtf8.GetString(text);
        }
        catch (DecoderFallbackException ex)
        {
            throw new Libp2pProtocolException("A multistream-select message is not valid UTF-8.", ex);
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static async ValueTask ExpectHeaderAsync(Stream stream, CancellationToken cancellationToken)
    {
        var header = await ReadLineAsync(stream, cancellationToken).ConfigureAwait(false)
            ?? throw new Libp2pProtocolException("The listener closed the stream before the multistream-select header.");
        if (header != ProtocolId)
        {
            throw new Libp2pProtocolException("Expected the multistream-select header, got '" + Printable(header) + "'.");
        }
    }

    private static async ValueTask WriteLinesAsync(Stream stream, string[] lines, CancellationToken cancellationToken)
    {
        var size = 0;
        foreach (var line in lines)
        {
            size += UVarint.MaxLength + Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var written = 0;
            foreach (var line in lines)
            {
                written += EncodeLine(line, buffer.AsSpan(written));
            }

            await stream.WriteAsync(buffer.AsMemory(0, written), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async ValueTask WriteListAsync(Stream stream, IEnumerable<string> protocols, CancellationToken cancellationToken)
    {
        // js handle.js and go: one length-prefixed blob of length-prefixed "protocol\n" lines, then "\n".
        using var blob = new MemoryStream();
        var line = new byte[UVarint.MaxLength + MaxLineLength * 4];
        foreach (var protocol in protocols)
        {
            if (Encoding.UTF8.GetByteCount(protocol) > MaxProtocolLength || protocol.Contains('\n', StringComparison.Ordinal))
            {
                continue;
            }

            var written = EncodeLine(protocol, line);
            blob.Write(line.AsSpan(0, written));
            if (blob.Length > MaxListLength - MaxLineLength)
            {
                break;
            }
        }

        blob.WriteByte((byte)'\n');
        await LengthPrefixed.WriteAsync(stream, blob.GetBuffer().AsMemory(0, (int)blob.Length), cancellationToken).ConfigureAwait(false);
    }

    private static void ValidateOwnProtocol(string protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        if (protocol.Length == 0 || protocol.Contains('\n', StringComparison.Ordinal)
            || Encoding.UTF8.GetByteCount(protocol) > MaxProtocolLength || protocol is NotAvailable or List)
        {
            throw new ArgumentException(
                "A protocol id is 1 to " + MaxProtocolLength + " UTF-8 bytes without a newline, and not 'na' or 'ls': '" + Printable(protocol) + "'.",
                nameof(protocol));
        }
    }

    private static string Printable(string text)
    {
        var shown = text.Length > 80 ? text[..80] + "…" : text;
        var builder = new StringBuilder(shown.Length);
        foreach (var c in shown)
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return builder.ToString();
    }
}
