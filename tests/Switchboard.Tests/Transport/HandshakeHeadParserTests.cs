using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Switchboard.Transport;

namespace Switchboard.Tests.Transport;

public sealed class HandshakeHeadParserTests
{
    /// <summary>Kestrel's default MaxRequestLineSize + MaxRequestHeadersTotalSize, as the middleware computes it.</summary>
    private const int MaxHeadBytes = (8 * 1024) + (32 * 1024);

    private const string Handshake =
        "GET /production?token=abc&room=1 HTTP/1.1\r\n" +
        "host: gateway.example:8080\r\n" +
        "Connection: Upgrade\r\n" +
        "UPGRADE: websocket\r\n" +
        "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
        "Sec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Protocol: chat.v1\r\n" +
        "sec-websocket-protocol:chat.v2\r\n" +
        "x-Custom-THING:  spaced\tvalue \t\r\n" +
        "\r\n";

    private static readonly byte[] Prefix = "GET /production"u8.ToArray();

    /// <summary>Latin-1, so that a test can put any byte into a head as a char.</summary>
    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    private static HandshakeHead Parse(in ReadOnlySequence<byte> buffer, out long headLength, out IHeaderDictionary? headers, out string query, int maxHeadBytes = MaxHeadBytes)
    {
        var result = HandshakeHeadParser.TryParse(buffer, Prefix, maxHeadBytes, out headLength, out var parsed, out query);
        headers = parsed;
        return result;
    }

    private static HandshakeHead Parse(string text, int maxHeadBytes = MaxHeadBytes) =>
        Parse(new ReadOnlySequence<byte>(Bytes(text)), out _, out _, out _, maxHeadBytes);

    /// <summary>A handshake with the request line and header lines given, in the usual order.</summary>
    /// <summary>A request head; a <c>Host: a</c> line comes first unless a line names Host itself (the parser requires exactly one).</summary>
    private static string Head(string requestLine = "GET /production HTTP/1.1", params string[] headerLines) =>
        HeadWithoutDefaultHost(requestLine, headerLines.Any(line => line.StartsWith("Host", StringComparison.OrdinalIgnoreCase)) ? headerLines : ["Host: a", .. headerLines]);

    private static string HeadWithoutDefaultHost(string requestLine, params string[] headerLines) =>
        requestLine + "\r\n" + string.Concat(headerLines.Select(line => line + "\r\n")) + "\r\n";

    /// <summary><paramref name="bytes"/> as a sequence of segments ending at each of <paramref name="splits"/>.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, params int[] splits)
    {
        var bounds = splits.Append(bytes.Length).ToArray();
        var first = new Segment(bytes.AsMemory(0, bounds[0]));
        var last = first;
        for (var i = 1; i < bounds.Length; i++)
        {
            last = last.Append(bytes.AsMemory(bounds[i - 1], bounds[i] - bounds[i - 1]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    [Fact]
    public void CompleteHandshake_YieldsHeadersAndQuery_AndLeavesTheBytesBehindTheHead()
    {
        byte[] frame = [0x81, 0x82, 1, 2, 3, 4, (byte)'h' ^ 1, (byte)'i' ^ 2];

        var result = Parse(new ReadOnlySequence<byte>([.. Bytes(Handshake), .. frame]), out var headLength, out var headers, out var query);

        Assert.Equal(HandshakeHead.Complete, result);
        Assert.Equal(Handshake.Length, headLength);
        Assert.Equal("?token=abc&room=1", query);
        Assert.NotNull(headers);
        Assert.Equal("gateway.example:8080", headers.Host);
        Assert.Equal("Upgrade", headers.Connection);
        Assert.Equal("websocket", headers.Upgrade);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", headers.SecWebSocketKey);
        Assert.Equal("13", headers.SecWebSocketVersion);
        Assert.Equal(new StringValues(["chat.v1", "chat.v2"]), headers.SecWebSocketProtocol);
        Assert.Equal("spaced\tvalue", headers["X-Custom-Thing"]);
    }

    [Fact]
    public void KnownHeaderNames_AreSpelledCanonically_UnknownOnesAsSent()
    {
        Assert.Equal(HandshakeHead.Complete, Parse(new ReadOnlySequence<byte>(Bytes(Handshake)), out _, out var headers, out _));

        string[] expected = ["Connection", "Host", "Sec-WebSocket-Key", "Sec-WebSocket-Protocol", "Sec-WebSocket-Version", "Upgrade", "x-Custom-THING"];
        Assert.Equal(expected, headers!.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("GET /production HTTP/1.1", "")]
    [InlineData("GET /production/ HTTP/1.1", "")]
    [InlineData("GET /production? HTTP/1.1", "?")]
    [InlineData("GET /production?a=1&a=2 HTTP/1.1", "?a=1&a=2")]
    [InlineData("GET /production/?token=a%20b+c HTTP/1.1", "?token=a%20b+c")]
    public void RequestTargets_OfTheStage_AreComplete_WithTheQueryAsSent(string requestLine, string expectedQuery)
    {
        var result = Parse(new ReadOnlySequence<byte>(Bytes(Head(requestLine, "Host: a"))), out _, out _, out var query);

        Assert.Equal(HandshakeHead.Complete, result);
        Assert.Equal(expectedQuery, query);
    }

    [Fact]
    public void HeadWithOnlyAHost_IsComplete()
    {
        var head = Head();

        Assert.Equal(HandshakeHead.Complete, Parse(new ReadOnlySequence<byte>(Bytes(head)), out var headLength, out var headers, out _));
        Assert.Equal(head.Length, headLength);
        Assert.Equal("a", Assert.Single(headers!).Value.ToString());
    }

    public static TheoryData<string> HeadsWithoutExactlyOneValidHost => new()
    {
        HeadWithoutDefaultHost("GET /production HTTP/1.1", "Upgrade: websocket"),
        HeadWithoutDefaultHost("GET /production HTTP/1.1", "Host: a", "Host: b"),
        HeadWithoutDefaultHost("GET /production HTTP/1.1", "Host: not a/host"),
        HeadWithoutDefaultHost("GET /production HTTP/1.1", "Host:"),
        HeadWithoutDefaultHost("GET /production HTTP/1.1", "Host: a@b"),
    };

    [Theory]
    [MemberData(nameof(HeadsWithoutExactlyOneValidHost))]
    public void HeadsWithoutExactlyOneValidHost_ArePassedOn(string head) => Assert.Equal(HandshakeHead.PassOn, Parse(head));

    [Theory]
    [InlineData("GET /production HTTP/1.1\nHost: a\n")]
    [InlineData("GET /production HTTP/1.1\r\nHost: a\n")]
    public void UnfinishedHeadsWithBareLineFeeds_ArePassedOn_WithoutWaitingForTheirEnd(string head) => Assert.Equal(HandshakeHead.PassOn, Parse(head));

    [Theory]
    [InlineData("GET /production HTTP/1.1\r\nHost: a\r\n", false)]
    [InlineData("GET /production HTTP/1.1\r\n\nHost: a\r\n", true)]
    [InlineData("GET /production HTTP/1.1\r\nHost: a\n", true)]
    public void LineEnds_AreJudgedTheSame_WhereverTheBytesAreSplit(string head, bool hasBareLineFeed)
    {
        var expected = hasBareLineFeed ? HandshakeHead.PassOn : HandshakeHead.Incomplete;
        var bytes = Bytes(head);
        for (var split = 1; split < bytes.Length; split++)
        {
            Assert.True(expected == Parse(Segmented(bytes, split), out _, out _, out _), $"split at {split}");
        }
    }

    [Fact]
    public void EveryProperPrefixOfAHandshake_IsIncomplete_InOneSegmentOrOneByteSegments()
    {
        var bytes = Bytes(Handshake);
        for (var length = 0; length < bytes.Length; length++)
        {
            var prefix = bytes[..length];
            Assert.True(HandshakeHead.Incomplete == Parse(new ReadOnlySequence<byte>(prefix), out _, out _, out _), $"contiguous prefix of {length} bytes");
            var oneByteSegments = Enumerable.Range(1, Math.Max(0, length - 1)).ToArray();
            Assert.True(HandshakeHead.Incomplete == Parse(Segmented(prefix, oneByteSegments), out _, out _, out _), $"segmented prefix of {length} bytes");
        }
    }

    [Fact]
    public void HandshakeSplitIntoTwoSegmentsAtAnyPoint_ParsesAsInOne()
    {
        var bytes = Bytes(Handshake + "after");
        for (var split = 1; split < bytes.Length; split++)
        {
            var result = Parse(Segmented(bytes, split), out var headLength, out var headers, out var query);

            Assert.True(HandshakeHead.Complete == result, $"split at {split}: {result}");
            Assert.Equal(Handshake.Length, headLength);
            Assert.Equal("?token=abc&room=1", query);
            Assert.Equal(new StringValues(["chat.v1", "chat.v2"]), headers!.SecWebSocketProtocol);
            Assert.Equal("spaced\tvalue", headers["X-Custom-Thing"]);
        }
    }

    [Fact]
    public void HandshakeInOneByteSegments_IsComplete()
    {
        var bytes = Bytes(Handshake);

        var result = Parse(Segmented(bytes, [.. Enumerable.Range(1, bytes.Length - 1)]), out var headLength, out var headers, out _);

        Assert.Equal(HandshakeHead.Complete, result);
        Assert.Equal(bytes.Length, headLength);
        Assert.Equal("dGhlIHNhbXBsZSBub25jZQ==", headers!.SecWebSocketKey);
    }

    public static TheoryData<string> NotTakenHeads => new()
    {
        // Other methods, paths and versions.
        Head("POST /production HTTP/1.1"),
        Head("get /production HTTP/1.1"),
        Head("GET /productionx HTTP/1.1"),
        Head("GET /other HTTP/1.1"),
        Head("GET /production/x HTTP/1.1"),
        Head("GET /production// HTTP/1.1"),
        Head("GET //production HTTP/1.1"),
        Head("GET /%70roduction HTTP/1.1"),
        Head("GET /production%2F HTTP/1.1"),
        Head("GET http://a/production HTTP/1.1"),
        Head("GET /production HTTP/1.0"),
        Head("GET /production HTTP/2.0"),
        Head("GET /production  HTTP/1.1"),
        Head("GET /production?a b HTTP/1.1"),
        Head("GET /production?caf\u00e9 HTTP/1.1"),
        // Header lines Kestrel would refuse or read differently.
        Head(headerLines: ["Host: a", " folded continuation"]),
        Head(headerLines: ["Host: a", "\tfolded continuation"]),
        Head(headerLines: ["NoColonHere"]),
        Head(headerLines: [": no name"]),
        Head(headerLines: ["Host : a"]),
        Head(headerLines: ["Host\t: a"]),
        Head(headerLines: ["X(Y): a"]),
        Head(headerLines: ["X-Name: caf\u00e9"]),
        Head(headerLines: ["X-Name: a\u0001b"]),
        Head(headerLines: ["X-Name: a\u007fb"]),
        Head(headerLines: ["X-Name: a\rb"]),
        Head(headerLines: ["X-Name: a\nB: b"]),
        // Not HTTP/1.1 at all.
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    };

    [Theory]
    [MemberData(nameof(NotTakenHeads))]
    public void HeadsThisParserDoesNotTake_ArePassedOn(string head) => Assert.Equal(HandshakeHead.PassOn, Parse(head));

    [Theory]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u00fc\u0003\u0003")]
    [InlineData("\u0016")]
    [InlineData("PRI * HT")]
    [InlineData("POST")]
    [InlineData("GEt")]
    [InlineData("GET /other")]
    [InlineData("GET /productionx")]
    [InlineData("GET /production#")]
    public void FirstBytesThatCannotStartAStageHandshake_ArePassedOn_BeforeTheHeadEnds(string start) => Assert.Equal(HandshakeHead.PassOn, Parse(start));

    [Theory]
    [InlineData(100, false)]
    [InlineData(101, true)]
    public void MoreThan100Headers_ArePassedOn(int count, bool passedOn)
    {
        // Host is one of them.
        var lines = Enumerable.Range(1, count - 1).Select(i => $"X-Header-{i}: {i}").Prepend("Host: a").ToArray();

        Assert.Equal(passedOn ? HandshakeHead.PassOn : HandshakeHead.Complete, Parse(Head(headerLines: lines)));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void HeadLongerThanTheMaximum_IsPassedOn(int overMaximum, bool passedOn) =>
        Assert.Equal(passedOn ? HandshakeHead.PassOn : HandshakeHead.Complete, Parse(Handshake, maxHeadBytes: Handshake.Length - overMaximum));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    public void UnfinishedHeadLongerThanTheMaximum_IsPassedOn_WithoutWaitingForItsEnd(int overMaximum, bool passedOn)
    {
        var unfinished = "GET /production HTTP/1.1\r\nX-Long: " + new string('a', MaxHeadBytes);

        Assert.Equal(passedOn ? HandshakeHead.PassOn : HandshakeHead.Incomplete, Parse(unfinished[..(MaxHeadBytes + overMaximum)]));
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
