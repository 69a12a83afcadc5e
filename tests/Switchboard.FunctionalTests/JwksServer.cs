using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// An issuer on Kestrel (127.0.0.1, free port): serves a JSON Web Key Set of RSA keys it generated at <see cref="JwksUri"/>
/// and signs tokens with them. The served set can change (key rotation) or fail (the issuer is down).
/// </summary>
internal sealed class JwksServer : IAsyncDisposable
{
    public const string Issuer = "https://issuer.test/";
    public const string Audience = "switchboard-tests";

    private readonly WebApplication _app;
    private volatile IReadOnlyList<RsaSecurityKey> _served = [];
    private int _fetches;

    private JwksServer(WebApplication app) => _app = app;

    public Uri JwksUri { get; private set; } = null!;

    /// <summary>When true, the key set answers 503.</summary>
    public bool Down { get; set; }

    /// <summary>How many times the key set was asked for.</summary>
    public int Fetches => Volatile.Read(ref _fetches);

    public static async Task<JwksServer> StartAsync()
    {
        JwksServer? server = null;
        var (_, baseUri) = await LoopbackWebApplication.StartAsync(app =>
        {
            server = new JwksServer(app);
            app.MapGet("/.well-known/jwks.json", server.ServeAsync);
        });
        server!.JwksUri = new Uri(baseUri, "/.well-known/jwks.json");
        return server;
    }

    /// <summary>A new 2048-bit RSA key with a key id.</summary>
    public static RsaSecurityKey NewKey(string keyId) => new(RSA.Create(2048)) { KeyId = keyId };

    /// <summary>From now on the key set holds the public halves of <paramref name="keys"/>.</summary>
    public void Serve(params RsaSecurityKey[] keys) => _served = keys;

    /// <summary>A token signed with <paramref name="key"/> (RS256); <paramref name="claims"/> override the defaults (iss, aud, sub, exp one hour ahead).</summary>
    public static string Token(SecurityKey key, IDictionary<string, object>? claims = null, DateTime? expires = null, string? issuer = Issuer, string? audience = Audience, string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var now = DateTime.UtcNow;
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = (expires ?? now.AddHours(1)).AddHours(-2),
            NotBefore = (expires ?? now.AddHours(1)).AddHours(-2),
            Expires = expires ?? now.AddHours(1),
            Claims = new Dictionary<string, object>(claims ?? new Dictionary<string, object>()) { ["sub"] = claims?.TryGetValue("sub", out var sub) == true ? sub : "user-42" },
            SigningCredentials = new SigningCredentials(key, algorithm),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }

    /// <summary>The public half of <paramref name="key"/> as a JSON Web Key (for configuration or the served set).</summary>
    public static Dictionary<string, string> PublicJwk(RsaSecurityKey key)
    {
        var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
        return new Dictionary<string, string>
        {
            ["kty"] = "RSA",
            ["use"] = "sig",
            ["alg"] = "RS256",
            ["kid"] = key.KeyId,
            ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
            ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
        };
    }

    private async Task ServeAsync(HttpContext context)
    {
        Interlocked.Increment(ref _fetches);
        if (Down)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { keys = _served.Select(PublicJwk) }));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
