using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The built-in JWT authorizer (docs/security.md, "$connect authorizers"): tokens from a real issuer on loopback whose
/// JWKS endpoint serves keys generated here; every kind of bad token is refused with 401, a JWKS that is down fails closed.
/// </summary>
public sealed class JwtAuthorizerTests : IAsyncLifetime
{
    private readonly RsaSecurityKey _key = JwksServer.NewKey("key-1");
    private JwksServer _issuer = null!;

    public async Task InitializeAsync()
    {
        _issuer = await JwksServer.StartAsync();
        _issuer.Serve(_key);
    }

    public async Task DisposeAsync() => await _issuer.DisposeAsync();

    private Task<Harness> StartAsync(Dictionary<string, string?>? more = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:Authorizer:Type"] = "jwt",
            ["Switchboard:Routes:0:Authorizer:Jwt:Issuer"] = JwksServer.Issuer,
            ["Switchboard:Routes:0:Authorizer:Jwt:Audiences:0"] = JwksServer.Audience,
            ["Switchboard:Routes:0:Authorizer:Jwt:JwksUri"] = _issuer.JwksUri.ToString(),
            ["Switchboard:Routes:0:Authorizer:Jwt:TokenQueryParameter"] = "token",
        };
        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        return Harness.StartAsync(settings);
    }

    private static Action<System.Net.WebSockets.ClientWebSocketOptions> Bearer(string token) => options => options.SetRequestHeader("Authorization", $"Bearer {token}");

    [Fact]
    public async Task ValidTokenInTheHeader_Connects_WithSubAsPrincipalAndClaimsInTheContext()
    {
        await using var harness = await StartAsync();
        var token = JwksServer.Token(_key, new Dictionary<string, object> { ["sub"] = "alice", ["tier"] = "gold", ["seats"] = 4, ["roles"] = new[] { "a", "b" } });

        await using var client = await harness.Gateway.ConnectAsync(configure: Bearer(token));
        var connect = await harness.Recorder.NextAsync("$connect");
        await client.SendTextAsync("hi");
        var message = await harness.Recorder.NextAsync("$default");

        foreach (var routeEvent in new[] { connect, message })
        {
            var authorizer = routeEvent.Authorizer!;
            Assert.Equal("alice", authorizer.PrincipalId);
            Assert.Equal("gold", authorizer["tier"]!.Value.GetString());
            Assert.Equal(4, authorizer["seats"]!.Value.GetInt32());
            Assert.Equal("[\"a\",\"b\"]", authorizer["roles"]!.Value.GetString());
            Assert.Equal(JwksServer.Issuer, authorizer["iss"]!.Value.GetString());
        }
    }

    [Fact]
    public async Task ValidTokenInTheQuery_Connects_WithClaimsInTheContext()
    {
        await using var harness = await StartAsync();
        var token = JwksServer.Token(_key, new Dictionary<string, object> { ["sub"] = "bob" });

        await using var client = await harness.Gateway.ConnectAsync($"?token={token}");

        Assert.Equal("bob", (await harness.Recorder.NextAsync("$connect")).Authorizer!.PrincipalId);
    }

    [Fact]
    public async Task TokenInTheQuery_IsRefused401_WhenNoQueryParameterIsConfigured()
    {
        await using var harness = await StartAsync(new() { ["Switchboard:Routes:0:Authorizer:Jwt:TokenQueryParameter"] = "" });

        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync($"?token={JwksServer.Token(_key)}"));
    }

    public static TheoryData<string, Func<RsaSecurityKey, string>> BadTokens => new()
    {
        { "no token", _ => "" },
        { "not a JWT", _ => "not-a-jwt" },
        { "alg none", key => Unsigned(JwksServer.Token(key)) },
        { "wrong audience", key => JwksServer.Token(key, audience: "someone-else") },
        { "wrong issuer", key => JwksServer.Token(key, issuer: "https://evil.test/") },
        { "expired", key => JwksServer.Token(key, expires: DateTime.UtcNow.AddMinutes(-5)) },
        { "bad signature", key => JwksServer.Token(JwksServer.NewKey(key.KeyId)) },
        { "tampered payload", key => Tampered(JwksServer.Token(key)) },
        { "HMAC with the public key as secret", key => JwksServer.Token(PublicKeyAsHmacSecret(key), algorithm: SecurityAlgorithms.HmacSha256) },
        { "no sub", key => JwksServer.Token(key, new Dictionary<string, object> { ["sub"] = "" }) },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task BadToken_IsRefused401(string why, Func<RsaSecurityKey, string> token)
    {
        await using var harness = await StartAsync();

        var status = await harness.Gateway.RefusedHandshakeAsync(configure: Bearer(token(_key)));

        Assert.True(status == HttpStatusCode.Unauthorized, $"{why}: {status}");
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Fact]
    public async Task ExpiredWithinTheClockSkew_IsAccepted()
    {
        await using var harness = await StartAsync(new() { ["Switchboard:Routes:0:Authorizer:Jwt:ClockSkew"] = "00:04:00" });

        await using var client = await harness.Gateway.ConnectAsync(configure: Bearer(JwksServer.Token(_key, expires: DateTime.UtcNow.AddMinutes(-2))));
    }

    [Fact]
    public async Task KeyRotation_ATokenSignedWithANewKey_IsAcceptedOnceTheKeySetServesIt()
    {
        await using var harness = await StartAsync(new() { ["Switchboard:Routes:0:Authorizer:Jwt:JwksMinimumRefreshInterval"] = "00:00:00" });
        await using (await harness.Gateway.ConnectAsync(configure: Bearer(JwksServer.Token(_key))))
        {
        }

        var rotated = JwksServer.NewKey("key-2");
        var fetchesBefore = _issuer.Fetches;
        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(configure: Bearer(JwksServer.Token(rotated))));
        Assert.Equal(fetchesBefore + 1, _issuer.Fetches);

        _issuer.Serve(_key, rotated);
        await using var client = await harness.Gateway.ConnectAsync(configure: Bearer(JwksServer.Token(rotated)));
        Assert.Equal(fetchesBefore + 2, _issuer.Fetches);
    }

    [Fact]
    public async Task UnknownKeyIds_DoNotFetchTheKeySetMoreOftenThanTheMinimumInterval()
    {
        await using var harness = await StartAsync();
        await using (await harness.Gateway.ConnectAsync(configure: Bearer(JwksServer.Token(_key))))
        {
        }

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(configure: Bearer(JwksServer.Token(JwksServer.NewKey($"unknown-{i}")))));
        }

        Assert.Equal(1, _issuer.Fetches);
    }

    [Fact]
    public async Task JwksEndpointDown_FailsClosedWith500_AndLogsOneClearLine()
    {
        _issuer.Down = true;
        await using var harness = await StartAsync(new() { ["Switchboard:Routes:0:Authorizer:Jwt:JwksMinimumRefreshInterval"] = "00:00:00" });

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.InternalServerError, await harness.Gateway.RefusedHandshakeAsync(configure: Bearer(JwksServer.Token(_key))));
        }

        Assert.Equal(3, _issuer.Fetches);
        var lines = TestLoggerProvider.Lines.Where(line => line.Contains(_issuer.JwksUri.ToString(), StringComparison.Ordinal) && line.Contains("cannot fetch the key set", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains("HTTP 503", lines[0], StringComparison.Ordinal);
        Assert.Single(TestLoggerProvider.Lines, line => line.Contains("[51]", StringComparison.Ordinal) && line.Contains("signing keys are unavailable", StringComparison.Ordinal));
        Assert.False(harness.Recorder.TryTake("$connect", out _));
    }

    [Fact]
    public async Task StaticKeysInConfiguration_ValidateTokens_WithoutAnyFetch()
    {
        var jwk = JwksServer.PublicJwk(_key);
        await using var harness = await StartAsync(new()
        {
            ["Switchboard:Routes:0:Authorizer:Jwt:JwksUri"] = null,
            ["Switchboard:Routes:0:Authorizer:Jwt:Keys:0:Kty"] = "RSA",
            ["Switchboard:Routes:0:Authorizer:Jwt:Keys:0:Kid"] = jwk["kid"],
            ["Switchboard:Routes:0:Authorizer:Jwt:Keys:0:N"] = jwk["n"],
            ["Switchboard:Routes:0:Authorizer:Jwt:Keys:0:E"] = jwk["e"],
        });

        await using var client = await harness.Gateway.ConnectAsync(configure: Bearer(JwksServer.Token(_key)));
        Assert.Equal(HttpStatusCode.Unauthorized, await harness.Gateway.RefusedHandshakeAsync(configure: Bearer(JwksServer.Token(JwksServer.NewKey("key-1")))));
        Assert.Equal(0, _issuer.Fetches);
    }

    /// <summary>The same header and payload with <c>alg: none</c> and no signature.</summary>
    private static string Unsigned(string token)
    {
        var parts = token.Split('.');
        var header = Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
        return $"{header}.{parts[1]}.";
    }

    /// <summary>The payload changed (another subject) under the original signature.</summary>
    private static string Tampered(string token)
    {
        var parts = token.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.DecodeBytes(parts[1]))!;
        payload["sub"] = JsonSerializer.SerializeToElement("admin");
        return $"{parts[0]}.{Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(payload))}.{parts[2]}";
    }

    /// <summary>The classic algorithm-confusion attack: the issuer's public key, which anyone can fetch, used as an HMAC secret.</summary>
    private static SymmetricSecurityKey PublicKeyAsHmacSecret(RsaSecurityKey key) =>
        new(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(JwksServer.PublicJwk(key)))) { KeyId = key.KeyId };
}
