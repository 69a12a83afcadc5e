using System.Net;
using System.Text;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.Signing;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Configuration;
using Switchboard.Management;
using Switchboard.Management.Authentication;

namespace Switchboard.Tests.Management;

/// <summary>
/// Every refusal of <see cref="ManagementAuthenticationCheck"/>, each against a request that is accepted without the
/// one thing changed, so that each test fails if its check is removed. Accepted requests are signed by the AWS SDK for
/// .NET (an independent signer) or by <see cref="SigV4"/> itself, which the published vectors check.
/// </summary>
public sealed class ManagementAuthenticationCheckTests
{
    private const string AccessKeyId = "AKIASWITCHBOARD";
    private const string Secret = "a-secret/with+signs=";
    private const string ApiKey = "operator-key-0123456789";
    private const string Target = "/production/@connections/abc123%3D";
    private const int MaxBodyBytes = 64;

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 8, 0, 0, TimeSpan.Zero));
    private readonly ManagementAuthenticationCheck _check;

    public ManagementAuthenticationCheckTests() => _check = Check(_time);

    private static ManagementAuthenticationCheck Check(TimeProvider time)
    {
        var options = new ManagementAuthenticationOptions
        {
            Credentials = new() { [AccessKeyId] = Secret, ["AKIAOTHERKEY"] = "another-secret" },
            ApiKeys = [ApiKey],
        };
        return new ManagementAuthenticationCheck(options, () => MaxBodyBytes, NullLogger.Instance, time);
    }

    [Fact]
    public async Task RequestSignedByTheAwsSdkForNet_IsAccepted_AndItsBodyStaysReadable()
    {
        // The SDK signs with the machine's clock.
        var check = Check(new FakeTimeProvider(DateTimeOffset.UtcNow));
        HttpRequestMessage? signed = null;
        using var handler = new SigV4SigningHandler(new BasicAWSCredentials(AccessKeyId, Secret), RegionEndpoint.USEast1, "execute-api", new CapturingHandler(request => signed = request));
        using var client = new HttpClient(handler);
        using var content = new StringContent("hello");
        await client.PostAsync($"http://127.0.0.1:8080{Target}?x=1%202", content);

        var context = await FromMessageAsync(signed!);
        Assert.Null(await check.CheckAsync(context));
        Assert.Equal("hello", await new StreamReader(context.Request.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task SignedRequest_IsAccepted_WithEitherConfiguredCredential()
    {
        Assert.Null(await _check.CheckAsync(Signed()));
        Assert.Null(await _check.CheckAsync(Signed(accessKeyId: "AKIAOTHERKEY", secret: "another-secret")));
    }

    [Fact]
    public async Task NoAuthorization_IsMissingAuthenticationToken()
    {
        var refusal = await _check.CheckAsync(Request("GET", Target, [("host", "127.0.0.1:8080")], []));
        AssertRefusal(refusal, "MissingAuthenticationTokenException", "Missing Authentication Token");
    }

    [Fact]
    public async Task UnknownAccessKey_IsUnrecognizedClient()
    {
        AssertRefusal(await _check.CheckAsync(Signed(accessKeyId: "AKIAUNKNOWN")), "UnrecognizedClientException", "The security token included in the request is invalid.");
    }

    [Fact]
    public async Task WrongSecret_IsInvalidSignature_WithTheCanonicalRequestToCompare()
    {
        var refusal = await _check.CheckAsync(Signed(secret: "not-the-secret"));
        AssertRefusal(refusal, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
        Assert.Contains("/production/%40connections/abc123%253D", refusal!.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignatureOlderOrNewerThanFiveMinutes_IsRefused_FiveMinutesExactlyIsNot()
    {
        var signedAt = _time.GetUtcNow();
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(await _check.CheckAsync(Signed(at: signedAt)));
        _time.Advance(TimeSpan.FromSeconds(1));
        AssertRefusal(await _check.CheckAsync(Signed(at: signedAt)), "InvalidSignatureException", "Signature expired: 20261203T080000Z is now earlier than 20261203T080001Z (20261203T080501Z - 5 min.)");

        AssertRefusal(await _check.CheckAsync(Signed(at: _time.GetUtcNow().AddMinutes(5).AddSeconds(1))), "InvalidSignatureException", "Signature not yet current: 20261203T081002Z is still later than 20261203T081001Z (20261203T080501Z + 5 min.)");
    }

    [Theory]
    [InlineData("AWS4-HMAC-SHA256", "Authorization header requires 'Credential' parameter.")]
    [InlineData("Basic dXNlcjpwYXNz", "Authorization header requires 'Credential' parameter.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIASWITCHBOARD/20261203/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date", "Authorization header requires 'Signature' parameter.")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIASWITCHBOARD /20261203/us-east-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=00", "not a valid key=value pair (missing equal-sign)")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIASWITCHBOARD/20261203/us-east-1, SignedHeaders=host;x-amz-date, Signature=00", "Credential should be of the form")]
    [InlineData("AWS4-HMAC-SHA256 Credential=AKIASWITCHBOARD/20261203/us-east-1/execute-api/aws4_request, SignedHeaders=Host;x-amz-date, Signature=00", "SignedHeaders must be lowercase")]
    public async Task MalformedAuthorization_IsIncompleteSignature(string authorization, string expected)
    {
        var context = Signed();
        context.Request.Headers.Authorization = authorization;
        AssertRefusal(await _check.CheckAsync(context), "IncompleteSignatureException", expected);
    }

    [Fact]
    public async Task MissingXAmzDate_IsIncompleteSignature()
    {
        var context = Signed();
        context.Request.Headers.Remove("x-amz-date");
        AssertRefusal(await _check.CheckAsync(context), "IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
    }

    [Fact]
    public async Task DuplicatedXAmzDate_IsIncompleteSignature()
    {
        var context = Signed();
        context.Request.Headers.Append("x-amz-date", SigV4.FormatDate(_time.GetUtcNow()));
        AssertRefusal(await _check.CheckAsync(context), "IncompleteSignatureException", "more than one X-Amz-Date header");
    }

    [Fact]
    public async Task MalformedXAmzDate_IsIncompleteSignature()
    {
        var context = Signed();
        context.Request.Headers["x-amz-date"] = "2026-12-03T08:00:00Z";
        AssertRefusal(await _check.CheckAsync(context), "IncompleteSignatureException", "X-Amz-Date must be in the ISO8601 basic format");
    }

    [Fact]
    public async Task SignatureThatLeavesHostOut_IsRefused()
    {
        AssertRefusal(await _check.CheckAsync(Signed(signedHeaders: ["x-amz-date"])), "IncompleteSignatureException", "'Host' or ':authority' must be a 'SignedHeader'");
    }

    [Fact]
    public async Task HeaderChangedAfterSigning_OrSignedHeadersClaimingOthers_IsInvalidSignature()
    {
        var changed = Signed(extraHeaders: [("content-type", "text/plain")], signedHeaders: ["content-type", "host", "x-amz-date"]);
        changed.Request.Headers.ContentType = "application/json";
        AssertRefusal(await _check.CheckAsync(changed), "InvalidSignatureException", "The request signature we calculated does not match");

        // The signature was computed over host;x-amz-date, the header claims content-type as well.
        var claimed = Signed(extraHeaders: [("content-type", "text/plain")]);
        claimed.Request.Headers.Authorization = claimed.Request.Headers.Authorization.ToString().Replace("SignedHeaders=host;x-amz-date", "SignedHeaders=content-type;host;x-amz-date", StringComparison.Ordinal);
        AssertRefusal(await _check.CheckAsync(claimed), "InvalidSignatureException", "The request signature we calculated does not match");
    }

    [Fact]
    public async Task SignatureForAnotherConnectionOrMethod_IsInvalidSignature()
    {
        var otherPath = Signed();
        otherPath.Features.Get<IHttpRequestFeature>()!.RawTarget = "/production/@connections/other%3D";
        AssertRefusal(await _check.CheckAsync(otherPath), "InvalidSignatureException", "does not match");

        var otherMethod = Signed(method: "GET");
        otherMethod.Request.Method = "DELETE";
        AssertRefusal(await _check.CheckAsync(otherMethod), "InvalidSignatureException", "does not match");
    }

    [Fact]
    public async Task BodyChangedAfterSigning_IsInvalidSignature_UnlessTheSignerLeftThePayloadOut()
    {
        var tampered = Signed(body: "original");
        tampered.Request.Body = new MemoryStream("tampered"u8.ToArray());
        AssertRefusal(await _check.CheckAsync(tampered), "InvalidSignatureException", "does not match");

        // With x-amz-content-sha256: UNSIGNED-PAYLOAD the signer chose not to cover the body, as the SDKs allow.
        var unsigned = Signed(body: "original", unsignedPayload: true);
        unsigned.Request.Body = new MemoryStream("tampered"u8.ToArray());
        Assert.Null(await _check.CheckAsync(unsigned));
    }

    [Fact]
    public async Task DeclaredPayloadHashThatIsNotTheBodys_IsInvalidSignature()
    {
        var context = Signed(body: "original", extraHeaders: [("x-amz-content-sha256", SigV4.HashHex("other"u8))], signedHeaders: ["host", "x-amz-content-sha256", "x-amz-date"], payloadHash: SigV4.HashHex("other"u8));
        AssertRefusal(await _check.CheckAsync(context), "InvalidSignatureException", "does not match");
    }

    [Theory]
    [InlineData("eu-west-1", "execute-api", "Credential should be scoped to a valid region, not 'eu-west-1'.")]
    [InlineData("us-east-1", "s3", "Credential should be scoped to correct service: 'execute-api'.")]
    public async Task SignatureScopedToAnotherRegionOrService_IsInvalidSignature(string region, string service, string expected)
    {
        AssertRefusal(await _check.CheckAsync(Signed(region: region, service: service)), "InvalidSignatureException", expected);
    }

    [Fact]
    public async Task ScopeDayOtherThanXAmzDates_IsInvalidSignature()
    {
        var context = Signed();
        context.Request.Headers.Authorization = context.Request.Headers.Authorization.ToString().Replace("/20261203/", "/20261202/", StringComparison.Ordinal);
        AssertRefusal(await _check.CheckAsync(context), "InvalidSignatureException", "Date in Credential scope does not match");
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413_BeforeAnythingIsHashed()
    {
        var refusal = await _check.CheckAsync(Signed(body: new string('x', MaxBodyBytes + 1)));
        Assert.Equal(StatusCodes.Status413PayloadTooLarge, refusal!.StatusCode);
    }

    [Theory]
    [InlineData("authorization", "Bearer " + ApiKey, null)]
    [InlineData("authorization", "bearer " + ApiKey, null)]
    [InlineData("x-api-key", ApiKey, null)]
    [InlineData("authorization", "Bearer " + ApiKey + "x", "ForbiddenException")]
    [InlineData("authorization", "Bearer operator-key-012345678", "ForbiddenException")]
    [InlineData("x-api-key", "operator-key", "ForbiddenException")]
    [InlineData("x-api-key", "", "MissingAuthenticationTokenException")]
    public async Task ApiKey_AsBearerOrXApiKey_IsAccepted_AnyOtherIsRefused(string header, string value, string? refusedAs)
    {
        var refusal = await _check.CheckAsync(Request("POST", Target, [("host", "127.0.0.1:8080"), (header, value)], "hi"u8.ToArray()));
        if (refusedAs is null)
        {
            Assert.Null(refusal);
        }
        else
        {
            AssertRefusal(refusal, refusedAs, refusedAs == "ForbiddenException" ? "Forbidden" : "Missing Authentication Token");
        }
    }

    [Fact]
    public async Task Refusals_AreLoggedOncePerMinute_WithTypeAndAddress_NeverAKeyOrSignature()
    {
        var logger = new RecordingLogger();
        var options = new ManagementAuthenticationOptions { Credentials = new() { [AccessKeyId] = Secret }, ApiKeys = [ApiKey] };
        var check = new ManagementAuthenticationCheck(options, () => MaxBodyBytes, logger, _time);
        var wrongKey = ApiKey + "-wrong";

        await check.CheckAsync(Request("POST", Target, [("host", "127.0.0.1:8080"), ("x-api-key", wrongKey)], []));
        var forged = Signed(secret: "not-the-secret");
        await check.CheckAsync(forged);
        _time.Advance(ManagementEndpoints.RefusalLogInterval);
        await check.CheckAsync(Signed(secret: "not-the-secret"));

        Assert.Equal(
            [
                "41 Management call from 127.0.0.1 refused: it did not authenticate (ForbiddenException; see Switchboard:Management:Authentication); 0 more refused since the previous warning",
                "41 Management call from 127.0.0.1 refused: it did not authenticate (InvalidSignatureException; see Switchboard:Management:Authentication); 1 more refused since the previous warning",
            ],
            logger.Lines);
        var signature = forged.Request.Headers.Authorization.ToString().Split("Signature=")[1];
        Assert.DoesNotContain(logger.Lines, line => line.Contains(wrongKey, StringComparison.Ordinal) || line.Contains(Secret, StringComparison.Ordinal) || line.Contains(signature, StringComparison.Ordinal));
    }

    private static void AssertRefusal(ManagementError? refusal, string errorType, string messagePart)
    {
        Assert.NotNull(refusal);
        Assert.Equal(StatusCodes.Status403Forbidden, refusal.StatusCode);
        Assert.Equal(errorType, refusal.ErrorType);
        Assert.Contains(messagePart, refusal.Message, StringComparison.Ordinal);
    }

    /// <summary>A request signed with <see cref="SigV4"/> at <paramref name="at"/> (default: now), then made into a context.</summary>
    private DefaultHttpContext Signed(
        string method = "POST",
        string body = "",
        string accessKeyId = AccessKeyId,
        string secret = Secret,
        DateTimeOffset? at = null,
        string region = "us-east-1",
        string service = "execute-api",
        (string Name, string Value)[]? extraHeaders = null,
        string[]? signedHeaders = null,
        string? payloadHash = null,
        bool unsignedPayload = false)
    {
        var amzDate = SigV4.FormatDate(at ?? _time.GetUtcNow());
        var bytes = Encoding.UTF8.GetBytes(body);
        List<(string Name, string Value)> headers = [("host", "127.0.0.1:8080"), ("x-amz-date", amzDate), .. extraHeaders ?? []];
        if (unsignedPayload)
        {
            headers.Add(("x-amz-content-sha256", SigV4.UnsignedPayload));
        }

        signedHeaders ??= ["host", "x-amz-date"];
        var hash = unsignedPayload ? SigV4.UnsignedPayload : payloadHash ?? SigV4.HashHex(bytes);
        var canonical = SigV4.CanonicalRequest(method, Target, signedHeaders, name => headers.Where(header => header.Name == name).Select(header => header.Value), hash);
        var (scope, _, signature) = SigV4.Sign(secret, amzDate, region, service, canonical);
        headers.Add(("authorization", SigV4.AuthorizationHeader(accessKeyId, scope, signedHeaders, signature)));
        return Request(method, Target, headers, bytes);
    }

    private static DefaultHttpContext Request(string method, string rawTarget, IEnumerable<(string Name, string Value)> headers, byte[] body)
    {
        var context = new DefaultHttpContext();
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = rawTarget;
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        var request = context.Request;
        request.Method = method;
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        request.Path = PathString.FromUriComponent(query < 0 ? rawTarget : rawTarget[..query]);
        request.QueryString = query < 0 ? QueryString.Empty : new QueryString(rawTarget[query..]);
        foreach (var (name, value) in headers)
        {
            request.Headers.Append(name, value);
        }

        request.Body = new MemoryStream(body);
        request.ContentLength = body.Length;
        return context;
    }

    /// <summary>The request the SDK's handler signed, as the gateway would receive it (Host as HttpClient sends it).</summary>
    private static async Task<DefaultHttpContext> FromMessageAsync(HttpRequestMessage message)
    {
        var uri = message.RequestUri!;
        var headers = new List<(string, string)> { ("host", uri.Authority) };
        headers.AddRange(message.Headers.SelectMany(header => header.Value.Select(value => (header.Key, value))));
        var body = message.Content is null ? [] : await message.Content.ReadAsByteArrayAsync();
        if (message.Content is not null)
        {
            headers.AddRange(message.Content.Headers.SelectMany(header => header.Value.Select(value => (header.Key, value))));
        }

        return Request(message.Method.Method, uri.PathAndQuery, headers.Where(header => !header.Item1.Equals("content-length", StringComparison.OrdinalIgnoreCase)), body);
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{eventId.Id} {formatter(state, exception)}");
    }

    /// <summary>Records the request a signing handler produced, instead of sending it.</summary>
    internal sealed class CapturingHandler(Action<HttpRequestMessage> capture) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            capture(request);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
        }
    }
}
