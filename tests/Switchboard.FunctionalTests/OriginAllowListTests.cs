using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:Security:AllowedOrigins</c>: browser handshakes from unlisted origins answer 403 before
/// <c>$connect</c> runs, on both handshake paths (docs/security.md#origin-allow-list).
/// </summary>
public sealed class OriginAllowListTests : IAsyncLifetime
{
    private RecordingBackend _backend = null!;

    public async Task InitializeAsync() => _backend = await RecordingBackend.StartAsync();

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    private Task<TestGateway> StartAsync(bool directUpgrade, string? allowedOrigin)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false",
            ["Switchboard:Routes:0:RouteKey"] = "$connect",
            ["Switchboard:Routes:0:Integration:Type"] = "http",
            ["Switchboard:Routes:0:Integration:Uri"] = _backend.UriFor("connect").ToString(),
        };
        if (allowedOrigin is not null)
        {
            settings["Switchboard:Security:AllowedOrigins:0"] = allowedOrigin;
        }

        return TestGateway.StartAsync(settings);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task UnlistedOrigin_Gets403_BeforeConnectRuns_ListedAndAbsentOriginsConnect(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade, "https://app.example");

        await using var unlisted = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Origin", "https://attacker.example")]);
        await using var nullOrigin = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Origin", "null")]);
        await using var repeated = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Origin", "https://app.example"), new("Origin", "https://attacker.example")]);
        await using var listed = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Origin", "https://APP.example")]);
        await using var noOrigin = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);

        Assert.Equal(403, unlisted.HandshakeStatusCode);
        Assert.Equal(403, nullOrigin.HandshakeStatusCode);
        Assert.Equal(403, repeated.HandshakeStatusCode);
        Assert.Equal(101, listed.HandshakeStatusCode);
        Assert.Equal(101, noOrigin.HandshakeStatusCode);
        // $connect ran for the two accepted handshakes only.
        var origins = new[] { await _backend.NextEventAsync("$connect"), await _backend.NextEventAsync("$connect") }
            .Select(recorded => recorded.Event.GetProperty("headers").TryGetProperty("Origin", out var origin) ? origin.GetString() : null);
        Assert.Equal(["https://APP.example", null], origins);
        Assert.False(_backend.TryTakeEvent(out _));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WithoutAList_AnyOriginConnects(bool directUpgrade)
    {
        await using var gateway = await StartAsync(directUpgrade, allowedOrigin: null);

        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri, [new("Origin", "https://anywhere.example")]);

        Assert.Equal(101, client.HandshakeStatusCode);
    }
}
