using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Text.Json;
using CsCheck;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Authorization;
using Switchboard.Management.Authentication;
using Switchboard.Protocol;
using Switchboard.Routing;
using Switchboard.Security;
using Switchboard.Transport;

namespace Switchboard.Fuzz;

/// <summary>One parser under fuzzing: a generator of inputs and the property every input must keep.</summary>
/// <param name="Name">Stable name, used on the command line and in docs/reliability.md.</param>
internal abstract record FuzzTarget(string Name)
{
    /// <summary>Runs <paramref name="iterations"/> random cases on every core (CsCheck); throws with the smallest failing case and its seed.</summary>
    public abstract void Sample(long iterations, string? seed);

    /// <summary>Runs <paramref name="count"/> cases drawn from a fixed seed, one after the other: the same cases on every run.</summary>
    public abstract void Replay(int count, ulong seed);
}

/// <inheritdoc />
internal sealed record FuzzTarget<T>(string Name, Gen<T> Inputs, Action<T> Property) : FuzzTarget(Name)
{
    public override void Sample(long iterations, string? seed) => Inputs.Sample(Property, iter: iterations, seed: seed);

    public override void Replay(int count, ulong seed)
    {
        var random = new PCG(1, seed);
        for (var i = 0; i < count; i++)
        {
            var input = Inputs.Generate(random, null, out _);
            try
            {
                Property(input);
            }
            catch (Exception exception)
            {
                throw new InvalidOperationException($"{Name}, case {i} of seed {seed}: {exception.Message}", exception);
            }
        }
    }
}

/// <summary>
/// The gateway's parsers of untrusted input, each with a generator of inputs and the properties every input must keep:
/// nothing throws, nothing loops, and what is accepted is well-formed. Shared by the fuzz run (a million cases per target)
/// and the tests (a short slice with fixed seeds).
/// </summary>
internal static class FuzzTargets
{
    // Limits as small as the gateway allows, so that generated inputs reach them often.
    private const int MaxFrameBytes = 256;
    private const int MaxMessageBytes = 1024;
    private const int MaxFramesPerMessage = 4;
    private const int MaxHeadBytes = 2048;
    private static readonly byte[] StagePrefix = "GET /production"u8.ToArray();
    private static readonly int[] ViolationCodes = [CloseCodes.ProtocolError, CloseCodes.UnsupportedData, CloseCodes.InvalidPayloadData, CloseCodes.MessageTooBig];

    public static IReadOnlyList<FuzzTarget> All =>
    [
        new FuzzTarget<(byte[] Bytes, int[] Cuts)>("frame-reader-bytes", FrameStreams, ReadFramesOfAnyBytes),
        new FuzzTarget<(string[] Texts, int[] Splits, bool[] Pings, uint[] Keys, int[] Cuts)>("frame-reader-messages", ClientMessages, ReadBackClientMessages),
        new FuzzTarget<(byte[] Head, int[] Segments)>("handshake-head", HandshakeHeads, ParseHandshakeHead),
        new FuzzTarget<(string Expression, byte[] Body)>("route-selection", RouteSelections, SelectRoute),
        new FuzzTarget<string>("route-selection-action", Gen.String, SelectActionRoundTrip),
        new FuzzTarget<string>("sigv4-authorization", AuthorizationHeaders, ParseSigV4Authorization),
        new FuzzTarget<(string? For, string? Proto, string? Port)>("forwarded-headers", ForwardedHeaders, ResolveForwardedClient),
        new FuzzTarget<string>("setting-values", SettingValues, ParseSettingValues),
        new FuzzTarget<KeyValuePair<string, string?>[]>("definition", Definitions, ValidateDefinition),
    ];

    // ---- WebSocket frames -------------------------------------------------------------------------------------------

    /// <summary>Byte streams that start like frames often enough to get past the first checks, cut into arbitrary reads.</summary>
    private static readonly Gen<(byte[] Bytes, int[] Cuts)> FrameStreams =
        Gen.Frequency(
                (1, Gen.Byte.Array[0, 600]),
                (3, Gen.Select(Gen.Byte.Array[0, 40], Gen.Byte[0x80, 0x8A], Gen.Byte[0x80, 0xFF], (tail, first, second) => (byte[])[first, second, .. tail])),
                (3, ClientFrameBytes.Array[1, 6].Select(frames => frames.SelectMany(frame => frame).ToArray())))
            .SelectMany(bytes => Gen.Int[0, Math.Max(bytes.Length, 1)].Array[0, 4].Select(cuts => (bytes, cuts)));

    /// <summary>Single client frames: any opcode, reserved bits, lengths of every encoding, masked or not.</summary>
    private static Gen<byte[]> ClientFrameBytes =>
        Gen.Select(Gen.Int[0, 15], Gen.Bool, Gen.Frequency((6, Gen.Const(0)), (1, Gen.Int[1, 7])), Gen.Frequency((9, Gen.Const(true)), (1, Gen.Const(false))), Gen.Byte.Array[0, 300], Gen.UInt)
            .Select((opcode, fin, reserved, masked, payload, key) => ClientFrame((byte)opcode, payload, fin, masked, (byte)(reserved << 4), key));

    private static void ReadFramesOfAnyBytes((byte[] Bytes, int[] Cuts) stream)
    {
        var frames = ReadAll(stream.Bytes, stream.Cuts);
        var texts = 0L;
        foreach (var frame in frames)
        {
            switch (frame.Kind)
            {
                case InboundFrameKind.Text:
                    texts += frame.Payload!.Length;
                    Check(frame.Payload.Length <= MaxMessageBytes, "a text message is larger than the message limit");
                    _ = StrictUtf8.GetString(frame.Payload); // throws on invalid UTF-8
                    break;
                case InboundFrameKind.Violation:
                    Check(ViolationCodes.Contains(frame.CloseCode), $"violation with close code {frame.CloseCode}");
                    break;
                case InboundFrameKind.Ping:
                    Check(frame.Payload!.Length <= 125, "a ping payload longer than 125 bytes");
                    break;
            }
        }

        Check(texts <= stream.Bytes.Length, "more text out than bytes in");
    }

    /// <summary>Valid client messages: text of any code points, split into fragments at any byte, pings between them.</summary>
    private static readonly Gen<(string[] Texts, int[] Splits, bool[] Pings, uint[] Keys, int[] Cuts)> ClientMessages =
        Gen.Select(
            Gen.String[Gen.Char.Where(c => !char.IsSurrogate(c)), 0, 60].Array[1, 5],
            Gen.Int[1, MaxFramesPerMessage].Array[5],
            Gen.Bool.Array[5],
            Gen.UInt.Array[40],
            Gen.Int[0, 4000].Array[0, 6]);

    private static void ReadBackClientMessages((string[] Texts, int[] Splits, bool[] Pings, uint[] Keys, int[] Cuts) input)
    {
        var stream = new List<byte>();
        var key = 0;
        for (var i = 0; i < input.Texts.Length; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(input.Texts[i]);
            var fragments = Math.Min(input.Splits[i], Math.Max(bytes.Length, 1));
            var size = (bytes.Length + fragments - 1) / Math.Max(fragments, 1);
            for (var f = 0; f < fragments; f++)
            {
                var part = bytes.AsSpan(Math.Min(f * size, bytes.Length), Math.Clamp(bytes.Length - (f * size), 0, size));
                stream.AddRange(ClientFrame(f == 0 ? (byte)WebSocketOpcode.Text : (byte)WebSocketOpcode.Continuation, part, fin: f == fragments - 1, masked: true, reserved: 0, input.Keys[key++ % input.Keys.Length]));
                if (input.Pings[i] && f < fragments - 1)
                {
                    stream.AddRange(ClientFrame((byte)WebSocketOpcode.Ping, "p"u8, fin: true, masked: true, reserved: 0, input.Keys[key++ % input.Keys.Length]));
                }
            }
        }

        var bytesIn = stream.ToArray();
        var frames = ReadAll(bytesIn, [.. input.Cuts.Select(cut => cut % (bytesIn.Length + 1))]);
        var texts = frames.Where(frame => frame.Kind == InboundFrameKind.Text).Select(frame => Encoding.UTF8.GetString(frame.Payload!)).ToArray();
        Check(frames[^1].Kind == InboundFrameKind.EndOfStream, $"the stream ended with {frames[^1].Kind} {frames[^1].CloseCode} {frames[^1].CloseReason}");
        Check(texts.SequenceEqual(input.Texts), "the messages read back differ from those sent");
    }

    /// <summary>Reads frames until the stream ends, the peer closes or breaks a rule; fails if a read makes no progress.</summary>
    private static List<InboundFrame> ReadAll(byte[] bytes, int[] cuts)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, useSynchronizationContext: false));
        var start = 0;
        foreach (var cut in cuts.Select(cut => Math.Min(cut, bytes.Length)).Order())
        {
            pipe.Writer.Write(bytes.AsSpan(start, Math.Max(cut - start, 0)));
            pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
            start = Math.Max(start, cut);
        }

        pipe.Writer.Write(bytes.AsSpan(start));
        pipe.Writer.Complete();
        var reader = new WebSocketFrameReader(pipe.Reader, MaxFrameBytes, MaxMessageBytes, MaxFramesPerMessage);
        var frames = new List<InboundFrame>();
        while (true)
        {
            Check(frames.Count <= bytes.Length + 1, "the reader returned more frames than there are bytes");
            var read = reader.ReadAsync(CancellationToken.None).AsTask();
            Check(read.IsCompleted, "the reader waits for more data although the stream is complete");
            var frame = read.GetAwaiter().GetResult();
            frames.Add(frame);
            if (frame.Kind is InboundFrameKind.EndOfStream or InboundFrameKind.Violation or InboundFrameKind.Close)
            {
                return frames;
            }
        }
    }

    private static byte[] ClientFrame(byte opcode, ReadOnlySpan<byte> payload, bool fin, bool masked, byte reserved, uint key)
    {
        var frame = new List<byte>(payload.Length + 14) { (byte)((fin ? 0x80 : 0) | reserved | opcode) };
        var maskBit = masked ? (byte)0x80 : (byte)0;
        if (payload.Length <= 125)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame.AddRange([(byte)(maskBit | 126), (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        else
        {
            frame.Add((byte)(maskBit | 127));
            frame.AddRange(BitConverter.GetBytes((ulong)payload.Length).Reverse());
        }

        var keyBytes = BitConverter.GetBytes(key);
        if (masked)
        {
            frame.AddRange(keyBytes);
        }

        for (var i = 0; i < payload.Length; i++)
        {
            frame.Add(masked ? (byte)(payload[i] ^ keyBytes[i % 4]) : payload[i]);
        }

        return [.. frame];
    }

    // ---- Handshake heads --------------------------------------------------------------------------------------------

    private static readonly string[] HeadLines =
    [
        "GET /production HTTP/1.1", "GET /production?token=a&b=%ZZ HTTP/1.1", "GET /production/ HTTP/1.1", "GET /productionx HTTP/1.0",
        "GET /production HTTP/1.1 extra", "Host: gateway.example:8080", "host:", "Upgrade: websocket", "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: a, b", " folded continuation",
        "X-Empty:", ": no name", "no colon", "X-Tab:\tvalue\t", "Content-Length: 5", "Transfer-Encoding: chunked", "",
    ];

    /// <summary>Heads assembled from real and broken lines with mixed line ends, some raw bytes, in one or several segments.</summary>
    private static readonly Gen<(byte[] Head, int[] Segments)> HandshakeHeads =
        Gen.Select(
                Gen.Frequency((8, Pick(HeadLines).Select(Encoding.Latin1.GetBytes)), (2, Gen.Byte.Array[0, 30])).Array[0, 12],
                Pick("\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n").Array[12],
                Gen.Bool,
                (lines, ends, terminated) =>
                {
                    var head = new List<byte>();
                    for (var i = 0; i < lines.Length; i++)
                    {
                        head.AddRange(lines[i]);
                        head.AddRange(Encoding.ASCII.GetBytes(ends[i]));
                    }

                    if (terminated)
                    {
                        head.AddRange("\r\n"u8.ToArray());
                    }

                    return head.ToArray();
                })
            .SelectMany(head => Gen.Int[0, head.Length].Array[0, 3].Select(segments => (head, segments)));

    private static void ParseHandshakeHead((byte[] Head, int[] Segments) input)
    {
        var buffer = Segmented(input.Head, input.Segments);
        var result = HandshakeHeadParser.TryParse(buffer, StagePrefix, MaxHeadBytes, out var headLength, out var headers, out var query);
        if (result == HandshakeHead.Complete)
        {
            Check(headLength > 0 && headLength <= input.Head.Length, $"head length {headLength} of {input.Head.Length} bytes");
            Check(headers is not null, "a complete head without headers");
            Check(query.Length == 0 || query[0] == '?', $"query '{query}' does not start with '?'");
        }
    }

    // ---- Route selection --------------------------------------------------------------------------------------------

    private static readonly Gen<string> ExpressionText =
        Gen.Frequency(
            (3, Pick("$request.body.action", "${request.body.action}", "$request.body.a.b", "${request.body.type}-${request.body.id}", "$request.header.x", "static")),
            (5, Gen.String[Gen.Char["$request.body{}.action-_ 0\\\"é"], 0, 40]));

    private static readonly Gen<byte[]> JsonishBodies =
        Gen.Frequency(
            (1, Gen.Byte.Array[0, 80]),
            (4, Gen.String[Gen.Char["{}[]\":,.action type a b id 0123 true null \\u00e9\n-"], 0, 80].Select(Encoding.UTF8.GetBytes)),
            (2, Gen.Select(Pick("action", "type", "a", "id"), Gen.String, (name, value) => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { [name] = value, ["a"] = new Dictionary<string, string> { ["b"] = value } }))));

    private static readonly Gen<(string Expression, byte[] Body)> RouteSelections = Gen.Select(ExpressionText, JsonishBodies);

    private static void SelectRoute((string Expression, byte[] Body) input)
    {
        if (RouteSelectionExpression.TryParse(input.Expression, out var expression, out var error))
        {
            _ = expression!.Evaluate(input.Body);
        }
        else
        {
            Check(!string.IsNullOrEmpty(error), "a refused expression without an error");
        }
    }

    private static readonly RouteSelectionExpression ActionExpression = RouteSelectionExpression.Parse("$request.body.action");

    private static void SelectActionRoundTrip(string action)
    {
        var selected = ActionExpression.Evaluate(JsonSerializer.SerializeToUtf8Bytes(new { data = "x", action }));
        Check(selected == action, $"selected '{selected}' for action '{action}'");
    }

    // ---- Management authorization, forwarded headers, settings ------------------------------------------------------

    private static readonly Gen<string> AuthorizationHeaders =
        Gen.Frequency(
            (1, Gen.String),
            (4, Gen.Select(
                Pick("AWS4-HMAC-SHA256 ", "AWS4-HMAC-SHA256", "aws4-hmac-sha256 ", ""),
                Pick("Credential=AKID/20261203/us-east-1/execute-api/aws4_request", "Credential=AKID/2026/us-east-1", "Credential=", "Credential=//////", "SignedHeaders=host;x-amz-date", "SignedHeaders=;", "Signature=0123abcd", "Signature=", "=", "x", ",", " ").Array[0, 8],
                Pick(", ", ",", " "),
                (algorithm, parts, separator) => algorithm + string.Join(separator, parts))));

    private static void ParseSigV4Authorization(string header)
    {
        var parsed = SigV4Authorization.TryParse(header, hasDate: header.Length % 2 == 0, out var authorization, out var problem);
        Check(parsed ? authorization is not null : !string.IsNullOrEmpty(problem), $"TryParse gave {parsed} with neither parts nor a problem");
    }

    private static readonly TrustedProxies Proxies = new(["127.0.0.1", "10.0.0.0/8", "::1"]);

    private static readonly Gen<string> ForwardedEntry =
        Gen.Frequency(
            (4, Pick("203.0.113.9", "10.1.2.3", "127.0.0.1", "::1", "[2001:db8::1]", "2001:db8::1", "10.0.0.0", "999.1.1.1", "http", "https", "443", "0", "65536", "-1", "unknown", "")),
            (1, Gen.String[Gen.Char["0123456789abcdef.:[]% ,"], 0, 20]));

    private static readonly Gen<(string? For, string? Proto, string? Port)> ForwardedHeaders =
        Gen.Select(
            ForwardedEntry.Array[0, 6].Select(entries => string.Join(", ", entries)).Null(),
            ForwardedEntry.Array[0, 3].Select(entries => string.Join(",", entries)).Null(),
            ForwardedEntry.Array[0, 3].Select(entries => string.Join(" , ", entries)).Null());

    private static void ResolveForwardedClient((string? For, string? Proto, string? Port) input)
    {
        var headers = new HeaderDictionary();
        AddIfPresent(headers, TrustedProxies.ForwardedForHeader, input.For);
        AddIfPresent(headers, TrustedProxies.ForwardedProtoHeader, input.Proto);
        AddIfPresent(headers, TrustedProxies.ForwardedPortHeader, input.Port);
        var client = Proxies.Resolve(IPAddress.Loopback, headers, "http", 8080);
        Check(client.Address is not null, "no client address");
        Check(client.Scheme is "http" or "https", $"scheme '{client.Scheme}'");
        Check(client.Port is > 0 and <= 65535, $"port {client.Port}");
        var forwarded = (input.For ?? "").Split(',', StringSplitOptions.TrimEntries)
            .Select(entry => IPEndPoint.TryParse(entry, out var endpoint) ? endpoint.Address : null)
            .OfType<IPAddress>()
            .Select(address => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
        Check(client.Address!.Equals(IPAddress.Loopback) || forwarded.Contains(client.Address), $"client {client.Address} is neither the peer nor in '{input.For}'");
    }

    private static void AddIfPresent(HeaderDictionary headers, string name, string? value)
    {
        if (value is not null)
        {
            headers[name] = value;
        }
    }

    private static readonly Gen<string> SettingValues =
        Gen.Frequency(
            (1, Gen.String),
            (3, Gen.Select(
                Pick("route.request.header.", "route.request.querystring.", "stageVariables.", "context.", "route.request.header", "10.0.0.0/", "::/", "", " "),
                Gen.String[Gen.Char["abcXYZ-_.0189/:% "], 0, 20],
                (prefix, rest) => prefix + rest)));

    private static void ParseSettingValues(string value)
    {
        var parsedSource = IdentitySource.TryParse(value, out var source, out var error);
        Check(parsedSource ? source is not null : !string.IsNullOrEmpty(error), $"identity source '{value}': {parsedSource} with neither a source nor an error");
        _ = TrustedProxies.TryParse(value, out _);
    }

    // ---- API definitions ------------------------------------------------------------------------------------------

    private static readonly string[] DefinitionKeys =
    [
        "Stage", "ApiId", "DomainName", "BasePath", "RouteSelectionExpression", "StageVariables:env", "StageVariables:", "Routes:0:RouteKey",
        "Routes:0:TwoWay", "Routes:0:Integration:Type", "Routes:0:Integration:Uri", "Routes:0:Integration:Handler",
        "Routes:0:Integration:FunctionName", "Routes:0:Integration:Endpoint", "Routes:0:Integration:Region", "Routes:0:Integration:Qualifier",
        "Routes:0:Integration:MaxConcurrency", "Routes:0:Integration:MaxQueue", "Routes:0:Integration:Timeout", "Routes:0:Integration:Headers:x-key",
        "Routes:1:RouteKey", "Routes:1:Integration:Type", "Routes:1:Integration:Uri", "Routes:1:Authorizer:Type", "Routes:1:Authorizer:IdentitySource:0",
        "Routes:1:Authorizer:Jwt:Issuer", "Routes:1:Authorizer:Jwt:Audiences:0", "Routes:5:RouteKey", "Routes:x:RouteKey", "Limits:MaxConnections",
        "Limits:IdleTimeout", "Limits:MaxMessageBytes", "Limits:IntegrationTimeout", "Limits:ShutdownTimeout", "Limits:KeepAliveInterval",
        "Transport:DirectUpgrade", "Security:AllowedOrigins:0", "Security:TrustedProxies:0", "RateLimits:ConnectionsPerAddress:RatePerSecond",
        "RateLimits:ConnectionsPerAddress:Burst", "Management:AllowRemote", "Management:AllowedOrigins:0", "Management:Authentication:ApiKeys:0",
        "Management:Authentication:Credentials:AKID", "Management:Authentication:Region", "Unknown", "Routes:0:Integration:Unknown",
        "Routes:0:Integration:HttpMethod", "Routes:0:Integration:StatusCode", "Routes:0:Integration:Body",
        "Routes:0:Integration:RequestParameters:integration.request.header.x-id", "Routes:0:Integration:RequestParameters:integration.request.querystring.q",
        "Routes:0:Integration:RequestParameters:bad.target", "Routes:1:Integration:RequestParameters:integration.request.header.x-auth",
    ];

    private static readonly string?[] DefinitionValues =
    [
        null, "", " ", "0", "1", "-1", "2147483648", "1e3", "true", "yes", "00:00:05", "-00:00:01", "1.00:00:00", "abc", "$connect", "$disconnect",
        "$default", "sendmessage", "http", "lambda", "inprocess", "mock", "http://127.0.0.1:1/x", "https://example.com/${stageVariables.env}",
        "ftp://x", "/relative", "${stageVariables.missing}", "$request.body.action", "${request.body.a}-${request.body.b}", "$request.header.x",
        "route.request.header.Auth", "jwt", "request", "10.0.0.0/8", "10.0.0.1/8", "https://app.example", "*", "a-valid-api-key-0123456789",
        "arn:aws:lambda:us-east-1:123456789012:function:chat", "us-east-1", "prod", "../etc", new string('x', 300), "http_proxy", "GET",
        "PATCH", "TRACE", "200", "99", "600", "context.connectionId", "route.request.body.a[0].b", "route.request.body.", "'static'", "'unclosed",
        "context.authorizer.principalId", "route.request.querystring.token", "stageVariables.env",
    ];

    private static readonly Gen<KeyValuePair<string, string?>[]> Definitions =
        Gen.Select(Pick(DefinitionKeys), Pick(DefinitionValues), (key, value) => new KeyValuePair<string, string?>("Switchboard:" + key, value)).Array[0, 12]
            .Select(settings => settings.DistinctBy(setting => setting.Key, StringComparer.OrdinalIgnoreCase).ToArray());

    /// <summary>
    /// Any definition is accepted or refused with the errors the operator reads — an options validation failure naming
    /// keys, or the binder's conversion error — never another exception.
    /// </summary>
    private static void ValidateDefinition(KeyValuePair<string, string?>[] settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSwitchboard(configuration);
        using var provider = services.BuildServiceProvider();
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            _ = provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        }
        catch (OptionsValidationException exception)
        {
            Check(exception.Failures.Any() && exception.Failures.All(failure => failure.Length > 0), "a validation failure without a message");
        }
        catch (InvalidOperationException exception) when (exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal))
        {
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------------------------

    /// <summary>One of <paramref name="values"/>, each as likely.</summary>
    private static Gen<T> Pick<T>(params T[] values) => Gen.Int[0, values.Length - 1].Select(index => values[index]);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }

    /// <summary>The bytes as a sequence of several segments, cut at <paramref name="cuts"/>.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int[] cuts)
    {
        var points = cuts.Where(cut => cut > 0 && cut < bytes.Length).Distinct().Order().ToList();
        if (points.Count == 0)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        points.Add(bytes.Length);
        var first = new Segment(bytes.AsMemory(0, points[0]), 0);
        var last = first;
        for (var i = 1; i < points.Count; i++)
        {
            last = last.Append(bytes.AsMemory(points[i - 1], points[i] - points[i - 1]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
