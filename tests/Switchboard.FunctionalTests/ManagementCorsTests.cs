using System.Net;

namespace Switchboard.FunctionalTests;

/// <summary>
/// CORS of the management API for the origins in <c>Switchboard:Management:AllowedOrigins</c>: exactly what their
/// scripts need (preflight for the path's methods and the authentication headers, readable answers), nothing for any
/// other origin, and nothing at all by default.
/// </summary>
public sealed class ManagementCorsTests
{
    private const string Listed = "https://admin.example.com";
    private const string ApiKey = "operator-key-0123456789";

    private static Task<Harness> StartAsync() => Harness.StartAsync(new()
    {
        ["Switchboard:Management:AllowedOrigins:0"] = Listed,
        ["Switchboard:Management:Authentication:ApiKeys:0"] = ApiKey,
    });

    [Theory]
    [InlineData("@connections/AAAAAAAAAAAAAAA=", "DELETE", "GET, POST, DELETE")]
    [InlineData("@connections", "GET", "GET")]
    [InlineData("@broadcast", "POST", "POST")]
    [InlineData("@stats", "GET", "GET")]
    public async Task Preflight_FromAListedOrigin_AllowsThatPathsMethods_AndTheAuthenticationHeaders(string path, string method, string allowedMethods)
    {
        await using var harness = await StartAsync();

        using var response = await harness.Http.SendAsync(Preflight(harness, path, Listed, method, "authorization, content-type, x-amz-date, x-amz-content-sha256"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal(Listed, Header(response, "Access-Control-Allow-Origin"));
        Assert.Equal(allowedMethods, Header(response, "Access-Control-Allow-Methods"));
        Assert.Contains("authorization", Header(response, "Access-Control-Allow-Headers"), StringComparison.Ordinal);
        Assert.Null(Header(response, "Access-Control-Allow-Credentials"));
    }

    [Theory]
    [InlineData("https://attacker.example", "POST", "authorization")]
    [InlineData("null", "POST", "authorization")]
    [InlineData(Listed, "PUT", "authorization")]
    [InlineData(Listed, "POST", "authorization, x-custom")]
    public async Task Preflight_FromAnotherOrigin_OrForMoreThanNeeded_GetsNoCorsHeaders(string origin, string method, string headers)
    {
        await using var harness = await StartAsync();

        using var response = await harness.Http.SendAsync(Preflight(harness, "@broadcast", origin, method, headers));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(response.Headers, header => header.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Answers_ToAListedOrigin_AreReadable_RefusalsIncluded_OtherOriginsGetNone()
    {
        await using var harness = await StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using var served = Request(HttpMethod.Post, harness.Gateway.ConnectionUri(id), Listed, ApiKey);
        using var servedResponse = await harness.Http.SendAsync(served);
        Assert.Equal(HttpStatusCode.OK, servedResponse.StatusCode);
        Assert.Equal(Listed, Header(servedResponse, "Access-Control-Allow-Origin"));
        Assert.Equal("welcome", await client.ReceiveTextAsync());

        using var refused = Request(HttpMethod.Post, harness.Gateway.ConnectionUri(id), Listed, "wrong-key-0123456789");
        using var refusedResponse = await harness.Http.SendAsync(refused);
        Assert.Equal(HttpStatusCode.Forbidden, refusedResponse.StatusCode);
        Assert.Equal(Listed, Header(refusedResponse, "Access-Control-Allow-Origin"));
        Assert.Contains("x-amzn-ErrorType", Header(refusedResponse, "Access-Control-Expose-Headers"), StringComparison.Ordinal);

        // Another origin with the right key: the cross-site check refuses it, without CORS headers for its scripts.
        using var foreign = Request(HttpMethod.Post, harness.Gateway.ConnectionUri(id), "https://attacker.example", ApiKey);
        using var foreignResponse = await harness.Http.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, foreignResponse.StatusCode);
        Assert.Null(Header(foreignResponse, "Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task WithoutAllowedOrigins_NoPreflightIsAnswered_AndNoAnswerHasCorsHeaders()
    {
        await using var harness = await Harness.StartAsync();

        using var preflight = await harness.Http.SendAsync(Preflight(harness, "@stats", "https://admin.example.com", "GET", "authorization"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, preflight.StatusCode);
        Assert.DoesNotContain(preflight.Headers, header => header.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
    }

    private static HttpRequestMessage Preflight(Harness harness, string path, string origin, string method, string headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, new Uri(harness.Gateway.BaseUri, $"{harness.Gateway.Stage}/{path}"));
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", method);
        request.Headers.Add("Access-Control-Request-Headers", headers);
        return request;
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri, string origin, string apiKey)
    {
        var request = new HttpRequestMessage(method, uri) { Content = new ByteArrayContent("welcome"u8.ToArray()) };
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Authorization", $"Bearer {apiKey}");
        return request;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : null;
}
