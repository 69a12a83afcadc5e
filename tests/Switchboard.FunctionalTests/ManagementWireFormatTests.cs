using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The exact bytes of every management response body and its framing headers, as the AWS SDKs and the CLI read them:
/// property names and order, timestamps with exactly three fractional digits, which members are omitted and which are
/// written as null, and how strings are escaped.
/// </summary>
public sealed class ManagementWireFormatTests
{
    /// <summary>A time whose milliseconds end in 0, so a formatter that drops trailing zeros would show.</summary>
    private static readonly DateTimeOffset ConnectedAt = new(2025, 1, 2, 3, 4, 5, 70, TimeSpan.Zero);

    /// <summary>Characters the default JSON escaper writes as <c>\uXXXX</c>; connection facts are written without that escaping.</summary>
    private const string UserAgent = "Tests/1.0 (+https://example.com/?a=1&b='2') <x> \"q\"";

    [Fact]
    public async Task GetConnection_Body_IsExactlyApiGatewaysShape()
    {
        await using var harness = await StartWithClockAsync();
        var (client, id) = await ConnectRawAsync(harness, [new("User-Agent", UserAgent)]);
        await using var _ = client;

        using var response = await harness.Http.GetAsync(harness.Gateway.ConnectionUri(id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            """{"connectedAt":"2025-01-02T03:04:05.070Z","identity":{"sourceIp":"127.0.0.1","userAgent":"Tests/1.0 (+https://example.com/?a=1&b='2') <x> \"q\""},"lastActiveAt":"2025-01-02T03:04:05.070Z"}""",
            await ReadJsonAsync(response));
    }

    [Fact]
    public async Task GetConnection_WithoutUserAgent_OmitsIt()
    {
        await using var harness = await StartWithClockAsync();
        var (client, id) = await ConnectRawAsync(harness, []);
        await using var _ = client;

        var body = await harness.Http.GetStringAsync(harness.Gateway.ConnectionUri(id));

        Assert.Equal("""{"connectedAt":"2025-01-02T03:04:05.070Z","identity":{"sourceIp":"127.0.0.1"},"lastActiveAt":"2025-01-02T03:04:05.070Z"}""", body);
    }

    [Fact]
    public async Task ListConnections_Body_HasItemsWithTheirIds_AndNextTokenNullOnTheLastPage()
    {
        await using var harness = await StartWithClockAsync();
        var (firstClient, first) = await ConnectRawAsync(harness, [new("User-Agent", UserAgent)]);
        await using var _ = firstClient;
        var (secondClient, second) = await ConnectRawAsync(harness, []);
        await using var __ = secondClient;
        string[] ids = [.. new[] { first, second }.Order(StringComparer.Ordinal)];

        using var firstPage = await harness.Http.GetAsync(harness.Url("/@connections?limit=1"));
        var firstBody = await ReadJsonAsync(firstPage);
        var lastBody = await harness.Http.GetStringAsync(harness.Url("/@connections?limit=1&nextToken=" + Uri.EscapeDataString(ids[0])));

        Assert.Equal($$"""{"items":[{{Item(ids[0])}}],"nextToken":"{{ids[0]}}"}""", firstBody);
        Assert.Equal($$"""{"items":[{{Item(ids[1])}}],"nextToken":null}""", lastBody);

        string Item(string id) => id == first
            ? $$"""{"connectionId":"{{id}}","connectedAt":"2025-01-02T03:04:05.070Z","identity":{"sourceIp":"127.0.0.1","userAgent":"Tests/1.0 (+https://example.com/?a=1&b='2') <x> \"q\""},"lastActiveAt":"2025-01-02T03:04:05.070Z"}"""
            : $$"""{"connectionId":"{{id}}","connectedAt":"2025-01-02T03:04:05.070Z","identity":{"sourceIp":"127.0.0.1"},"lastActiveAt":"2025-01-02T03:04:05.070Z"}""";
    }

    [Fact]
    public async Task ListConnections_WhenNoneIsOpen_IsAnEmptyPage()
    {
        await using var harness = await Harness.StartAsync();

        Assert.Equal("""{"items":[],"nextToken":null}""", await harness.Http.GetStringAsync(harness.Url("/@connections")));
    }

    [Fact]
    public async Task BroadcastAndStats_Bodies_AreExact()
    {
        await using var harness = await Harness.StartAsync();
        var (client, _) = await ConnectRawAsync(harness, []);
        await using var _ = client;

        using var stats = await harness.Http.GetAsync(harness.Url("/@stats"));
        using var broadcast = await harness.Http.PostAsync(harness.Url("/@broadcast"), new ByteArrayContent("x"u8.ToArray()));

        Assert.Equal("""{"connections":1,"messagesIn":0,"messagesOut":0}""", await ReadJsonAsync(stats));
        Assert.Equal("""{"recipients":1}""", await ReadJsonAsync(broadcast));
    }

    [Theory]
    [InlineData("ABCDEFGHIJKLMN+=", """{"message":"Invalid connectionId: ABCDEFGHIJKLMN\u002B="}""")]
    [InlineData("ABCDEFGHIJKLMNé=", """{"message":"Invalid connectionId: ABCDEFGHIJKLMN\u00E9="}""")]
    [InlineData("abc", """{"message":"Invalid connectionId: abc"}""")]
    public async Task ErrorBody_IsAMessageObject_EscapedAsItAlwaysWas(string id, string expected)
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.GetAsync(harness.Gateway.ConnectionUri(id));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(expected, await ReadErrorAsync(response));
    }

    [Fact]
    public async Task PayloadTooLarge_AndInvalidLimit_Bodies_AreExact()
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Limits:MaxPostBytes"] = "10" });

        using var tooLarge = await harness.Http.PostAsync(harness.Url("/@broadcast"), new ByteArrayContent(new byte[11]));
        using var badLimit = await harness.Http.GetAsync(harness.Url("/@connections?limit=0"));

        Assert.Equal("""{"message":"Request data must not exceed 10 bytes"}""", await ReadErrorAsync(tooLarge));
        Assert.Equal("""{"message":"limit must be an integer from 1 to 1000"}""", await ReadErrorAsync(badLimit));
    }

    private static Task<Harness> StartWithClockAsync() =>
        Harness.StartAsync(configure: switchboard => switchboard.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(new FakeTimeProvider(ConnectedAt))));

    /// <summary>Opens a connection with exactly these extra handshake headers (no User-Agent unless given) and learns its id.</summary>
    private static async Task<(RawWebSocketClient Client, string ConnectionId)> ConnectRawAsync(Harness harness, KeyValuePair<string, string>[] headers)
    {
        var client = await RawWebSocketClient.ConnectAsync(harness.Gateway.WebSocketUri, headers);
        Assert.Equal(101, client.HandshakeStatusCode);
        return (client, (await harness.Recorder.NextAsync("$connect")).ConnectionId);
    }

    /// <summary>The body of a successful JSON answer, which is announced with its length (not chunked).</summary>
    private static async Task<string> ReadJsonAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        return Encoding.UTF8.GetString(body);
    }

    /// <summary>The body of an error with a message: JSON, sent chunked (written without a length).</summary>
    private static async Task<string> ReadErrorAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.TransferEncodingChunked);
        return await response.Content.ReadAsStringAsync();
    }
}
