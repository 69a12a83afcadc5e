using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Switchboard.Transport;

/// <summary>What <see cref="HandshakeHeadParser.TryParse"/> found at the start of a connection.</summary>
internal enum HandshakeHead
{
    /// <summary>So far the bytes are the stage's request line; the head has not ended yet.</summary>
    Incomplete,

    /// <summary>Not a request this parser takes: Kestrel's HTTP layer gets the bytes untouched.</summary>
    PassOn,

    /// <summary>A complete, well-formed <c>GET /{stage}</c> HTTP/1.1 request head.</summary>
    Complete,
}

/// <summary>
/// Reads the head of an HTTP/1.1 <c>GET /{stage}</c> request from the first bytes of a connection, strictly: anything
/// unusual (another method, path or version, percent-encoding in the path, non-ASCII, folded or malformed header lines,
/// a body, an oversized head) is passed on to Kestrel, which answers it as it answers every other request.
/// </summary>
internal static class HandshakeHeadParser
{
    /// <summary>Kestrel's default <c>MaxRequestHeaderCount</c>.</summary>
    private const int MaxHeaderCount = 100;

    /// <summary>Header names written in their usual spelling whatever case the client used (Kestrel does the same for the headers it knows).</summary>
    private static readonly FrozenDictionary<string, string> KnownNames = new[]
    {
        HeaderNames.Accept, HeaderNames.AcceptEncoding, HeaderNames.AcceptLanguage, HeaderNames.Authorization,
        HeaderNames.CacheControl, HeaderNames.Connection, HeaderNames.ContentLength, HeaderNames.Cookie, HeaderNames.Host,
        HeaderNames.Origin, HeaderNames.Pragma, HeaderNames.SecWebSocketExtensions, HeaderNames.SecWebSocketKey,
        HeaderNames.SecWebSocketProtocol, HeaderNames.SecWebSocketVersion, HeaderNames.TransferEncoding, HeaderNames.Upgrade,
        HeaderNames.UserAgent, "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
    }.ToFrozenDictionary(name => name, StringComparer.OrdinalIgnoreCase);

    /// <param name="buffer">The bytes received so far.</param>
    /// <param name="requestLinePrefix"><c>GET /{stage}</c> in ASCII.</param>
    /// <param name="maxHeadBytes">Longer heads are passed on (Kestrel answers 431).</param>
    /// <param name="headLength">On <see cref="HandshakeHead.Complete"/>: the bytes of the head, final empty line included.</param>
    /// <param name="headers">On <see cref="HandshakeHead.Complete"/>: the request headers.</param>
    /// <param name="queryString">On <see cref="HandshakeHead.Complete"/>: the query with its <c>?</c>, or "".</param>
    public static HandshakeHead TryParse(
        in ReadOnlySequence<byte> buffer,
        ReadOnlySpan<byte> requestLinePrefix,
        int maxHeadBytes,
        out long headLength,
        out HeaderDictionary? headers,
        out string queryString)
    {
        headLength = 0;
        headers = null;
        queryString = "";
        if (!StartsLikeStageRequest(buffer, requestLinePrefix))
        {
            return HandshakeHead.PassOn;
        }

        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, "\r\n\r\n"u8, advancePastDelimiter: true))
        {
            // Kestrel reads bare-LF line ends; such a head would never show the CRLFCRLF this parser waits for.
            return buffer.Length > maxHeadBytes || HasBareLineFeed(buffer) ? HandshakeHead.PassOn : HandshakeHead.Incomplete;
        }

        if (reader.Consumed > maxHeadBytes)
        {
            return HandshakeHead.PassOn;
        }

        byte[]? rented = null;
        try
        {
            ReadOnlySpan<byte> bytes;
            if (head.IsSingleSegment)
            {
                bytes = head.FirstSpan;
            }
            else
            {
                rented = ArrayPool<byte>.Shared.Rent((int)head.Length);
                head.CopyTo(rented);
                bytes = rented.AsSpan(0, (int)head.Length);
            }

            if (!TryParseHead(bytes, requestLinePrefix, out headers, out queryString))
            {
                return HandshakeHead.PassOn;
            }

            headLength = reader.Consumed;
            return HandshakeHead.Complete;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>True while the bytes seen so far can still be <c>GET /{stage}</c> followed by a space, <c>?</c> or <c>/</c>.</summary>
    private static bool StartsLikeStageRequest(in ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> requestLinePrefix)
    {
        Span<byte> start = stackalloc byte[requestLinePrefix.Length + 1];
        var available = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, available).CopyTo(start);
        start = start[..available];
        if (!requestLinePrefix.StartsWith(start[..Math.Min(available, requestLinePrefix.Length)]))
        {
            return false;
        }

        return available <= requestLinePrefix.Length || start[^1] is (byte)' ' or (byte)'?' or (byte)'/';
    }

    private static bool TryParseHead(ReadOnlySpan<byte> head, ReadOnlySpan<byte> requestLinePrefix, out HeaderDictionary? headers, out string queryString)
    {
        headers = null;
        queryString = "";
        var lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        if (!TryParseRequestLine(requestLine, requestLinePrefix, out queryString))
        {
            return false;
        }

        var parsed = new HeaderDictionary();
        var rest = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        var count = 0;
        while (!rest.IsEmpty)
        {
            lineEnd = rest.IndexOf("\r\n"u8);
            var line = lineEnd < 0 ? rest : rest[..lineEnd];
            rest = lineEnd < 0 ? [] : rest[(lineEnd + 2)..];
            if (++count > MaxHeaderCount || !TryAddHeader(line, parsed))
            {
                return false;
            }
        }

        // Exactly one Host, with a value Kestrel also accepts; anything else gets Kestrel's 400.
        if (!parsed.TryGetValue(HeaderNames.Host, out var host) || host.Count != 1 || !IsHostValue(host.ToString()))
        {
            return false;
        }

        headers = parsed;
        return true;
    }

    /// <summary>A non-empty <c>host[:port]</c> of URI authority characters (RFC 3986: unreserved, sub-delimiters, ':', '[', ']', '%').</summary>
    private static bool IsHostValue(string value) =>
        value.Length > 0 && !value.AsSpan().ContainsAnyExcept(HostCharacters);

    private static readonly System.Buffers.SearchValues<char> HostCharacters =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:[]%");

    private static bool HasBareLineFeed(in ReadOnlySequence<byte> buffer)
    {
        // Segment by segment with a vectorized search: this runs on every read of an unfinished head.
        byte previous = 0;
        foreach (var memory in buffer)
        {
            var span = memory.Span;
            for (var at = span.IndexOf((byte)'\n'); at >= 0; at = span.IndexOf((byte)'\n'))
            {
                if ((at == 0 ? previous : span[at - 1]) != (byte)'\r')
                {
                    return true;
                }

                previous = span[at];
                span = span[(at + 1)..];
            }

            if (!span.IsEmpty)
            {
                previous = span[^1];
            }
        }

        return false;
    }

    /// <summary><c>GET /{stage}[/][?query] HTTP/1.1</c>, every target byte visible ASCII, no percent-encoding in the path.</summary>
    private static bool TryParseRequestLine(ReadOnlySpan<byte> line, ReadOnlySpan<byte> requestLinePrefix, out string queryString)
    {
        queryString = "";
        ReadOnlySpan<byte> version = " HTTP/1.1"u8;
        if (!line.StartsWith(requestLinePrefix) || !line.EndsWith(version))
        {
            return false;
        }

        var afterStage = line[requestLinePrefix.Length..^version.Length];
        if (afterStage.StartsWith("/"u8))
        {
            afterStage = afterStage[1..];
        }

        if (afterStage.IsEmpty)
        {
            return true;
        }

        if (afterStage[0] != (byte)'?' || afterStage.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            return false;
        }

        queryString = Encoding.ASCII.GetString(afterStage);
        return true;
    }

    /// <summary>Adds <c>name: value</c>; false for a line Kestrel would refuse or read differently.</summary>
    private static bool TryAddHeader(ReadOnlySpan<byte> line, HeaderDictionary headers)
    {
        var colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            // Also refuses obsolete line folding (a line starting with whitespace).
            return false;
        }

        var value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (var b in value)
        {
            if (b is not ((>= 0x20 and <= 0x7E) or (byte)'\t'))
            {
                return false;
            }
        }

        var name = HeaderName(line[..colon]);
        var text = Encoding.ASCII.GetString(value);
        headers[name] = headers.TryGetValue(name, out var existing) ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, text) : text;
        return true;
    }

    private static string HeaderName(ReadOnlySpan<byte> name)
    {
        if (name.Length > 64)
        {
            return Encoding.ASCII.GetString(name);
        }

        Span<char> chars = stackalloc char[name.Length];
        Encoding.ASCII.GetChars(name, chars);
        return KnownNames.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(chars, out var known) ? known : new string(chars);
    }

    /// <summary>RFC 9110 token characters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (!(char.IsAsciiLetterOrDigit((char)b) || "!#$%&'*+-.^_`|~"u8.Contains(b)))
            {
                return false;
            }
        }

        return true;
    }
}
