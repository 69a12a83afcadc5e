using System.Net;

namespace Switchboard.FunctionalTests;

/// <summary>
/// How configured authentication and <c>Switchboard:Management:AllowRemote</c> add up (docs/security.md): a remote
/// caller needs both AllowRemote and a key; a loopback caller needs a key once any is configured.
/// </summary>
public sealed class ManagementAuthenticationTests
{
    private const string ApiKey = "operator-key-0123456789";

    [Theory]
    [InlineData(false, "127.0.0.1", null, HttpStatusCode.Forbidden, "MissingAuthenticationTokenException")]
    [InlineData(false, "127.0.0.1", ApiKey, HttpStatusCode.OK, null)]
    [InlineData(false, "198.51.100.7", ApiKey, HttpStatusCode.Forbidden, "ForbiddenException")]
    [InlineData(true, "198.51.100.7", null, HttpStatusCode.Forbidden, "MissingAuthenticationTokenException")]
    [InlineData(true, "198.51.100.7", "wrong-key-0123456789", HttpStatusCode.Forbidden, "ForbiddenException")]
    [InlineData(true, "198.51.100.7", ApiKey, HttpStatusCode.OK, null)]
    public async Task CallerAddressAndKey_BothDecide_OnceAKeyIsConfigured(bool allowRemote, string address, string? key, HttpStatusCode expected, string? errorType)
    {
        await using var harness = await Harness.StartAsync(
            new()
            {
                ["Switchboard:Management:AllowRemote"] = allowRemote ? "true" : "false",
                ["Switchboard:Management:Authentication:ApiKeys:0"] = ApiKey,
            },
            configure: RemoteAddressFromHeader.Install);
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Post, harness.Gateway.ConnectionUri(id)) { Content = new ByteArrayContent("first"u8.ToArray()) };
        request.Headers.Add(RemoteAddressFromHeader.Header, address);
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(errorType, response.Headers.TryGetValues("x-amzn-ErrorType", out var types) ? types.Single() : null);
        using var marker = new HttpRequestMessage(HttpMethod.Post, harness.Gateway.ConnectionUri(id)) { Content = new ByteArrayContent("second"u8.ToArray()) };
        marker.Headers.Add("x-api-key", ApiKey);
        Assert.Equal(HttpStatusCode.OK, (await harness.Http.SendAsync(marker)).StatusCode);
        Assert.Equal(expected == HttpStatusCode.OK ? "first" : "second", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task EveryManagementEndpoint_RequiresTheKey()
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Management:Authentication:ApiKeys:0"] = ApiKey });
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var management = harness.Gateway.ManagementEndpoint;
        (HttpMethod, Uri)[] calls =
        [
            (HttpMethod.Get, harness.Gateway.ConnectionUri(id)),
            (HttpMethod.Post, harness.Gateway.ConnectionUri(id)),
            (HttpMethod.Delete, harness.Gateway.ConnectionUri(id)),
            (HttpMethod.Get, new Uri($"{management}/@connections")),
            (HttpMethod.Post, new Uri($"{management}/@broadcast")),
            (HttpMethod.Get, new Uri($"{management}/@stats")),
        ];

        foreach (var (method, uri) in calls)
        {
            using var request = new HttpRequestMessage(method, uri) { Content = method == HttpMethod.Post ? new ByteArrayContent("x"u8.ToArray()) : null };
            using var response = await harness.Http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {uri}: {response.StatusCode}");
            Assert.Equal("MissingAuthenticationTokenException", response.Headers.GetValues("x-amzn-ErrorType").Single());
        }

        using var stats = new HttpRequestMessage(HttpMethod.Get, new Uri($"{management}/@stats"));
        stats.Headers.Add("Authorization", $"Bearer {ApiKey}");
        Assert.Equal(HttpStatusCode.OK, (await harness.Http.SendAsync(stats)).StatusCode);
    }
}
