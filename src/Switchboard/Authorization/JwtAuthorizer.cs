using System.Diagnostics;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Switchboard.Configuration;
using Switchboard.Events;

namespace Switchboard.Authorization;

/// <summary>
/// The built-in JWT authorizer: takes the token from <c>Authorization: Bearer</c> (or the configured query parameter),
/// checks its signature against the issuer's keys, its algorithm (asymmetric only: <c>none</c> and HMAC never pass, so
/// a public key can never be used as an HMAC secret), issuer, audience and lifetime (with clock skew), and allows the
/// connection with <c>principalId</c> = <c>sub</c> and the token's claims as the authorizer context. A bad or missing
/// token is 401 (lifetimes are checked against the gateway's <see cref="TimeProvider"/>, the wall clock: <c>exp</c> and
/// <c>nbf</c> are wall times, so a step of the system clock moves them too); keys that cannot be had (the JWKS endpoint is down) are 500: the gateway fails closed.
/// </summary>
internal sealed class JwtAuthorizer : IConnectAuthorizer
{
    private const string BearerPrefix = "Bearer ";
    private readonly JwtAuthorizerOptions _options;
    private readonly IJwtSigningKeys _keys;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly HashSet<string> _algorithms;
    private readonly TimeProvider _time;

    public JwtAuthorizer(JwtAuthorizerOptions options, IJwtSigningKeys keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _keys = keys;
        _time = time;
        _algorithms = (options.Algorithms.Count == 0 ? AuthorizerOptionsValidator.AcceptableAlgorithms : options.Algorithms).ToHashSet(StringComparer.Ordinal);
    }

    public async ValueTask<AuthorizerDecision> AuthorizeAsync(AuthorizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var started = Stopwatch.GetTimestamp();
        if (FindToken(request) is not { } token)
        {
            return AuthorizerDecision.Unauthorized("no token (Bearer header or query parameter)");
        }

        JsonWebToken parsed;
        try
        {
            parsed = _handler.ReadJsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return AuthorizerDecision.Unauthorized("the token is not a JWT");
        }

        // Checked before any key is looked up, so a token naming 'none' or an HMAC algorithm costs no JWKS fetch.
        if (!_algorithms.Contains(parsed.Alg))
        {
            return AuthorizerDecision.Unauthorized($"the token's algorithm '{parsed.Alg}' is not accepted");
        }

        if (await _keys.GetKeysAsync(string.IsNullOrEmpty(parsed.Kid) ? null : parsed.Kid, cancellationToken).ConfigureAwait(false) is not { } keys)
        {
            return AuthorizerDecision.Failed("the issuer's signing keys are unavailable (see the JWKS error)");
        }

        var result = await _handler.ValidateTokenAsync(parsed, Parameters(keys)).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return AuthorizerDecision.Unauthorized($"the token is not valid: {result.Exception?.GetType().Name ?? "rejected"}");
        }

        if (!parsed.TryGetPayloadValue<string>("sub", out var subject) || string.IsNullOrEmpty(subject))
        {
            return AuthorizerDecision.Unauthorized("the token has no sub claim");
        }

        return AuthorizerDecision.Allow(new AuthorizerContext(subject, Claims(parsed), (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds));
    }

    private TokenValidationParameters Parameters(IReadOnlyList<SecurityKey> keys) => new()
    {
        IssuerSigningKeys = keys,
        ValidIssuer = _options.Issuer,
        ValidAudiences = _options.Audiences,
        ValidAlgorithms = _algorithms,
        ClockSkew = _options.ClockSkew,
        LifetimeValidator = IsWithinLifetime,
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateIssuerSigningKey = true,
    };

    /// <summary>
    /// The token library's lifetime rule (an <c>exp</c> is required; <c>nbf</c> and <c>exp</c> widened by the clock skew)
    /// on the gateway's clock instead of the library's own reading of the system clock.
    /// </summary>
    private bool IsWithinLifetime(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return expires is { } expiry
            && now - _options.ClockSkew < expiry.ToUniversalTime()
            && (notBefore is not { } start || now + _options.ClockSkew >= start.ToUniversalTime());
    }

    private string? FindToken(AuthorizationRequest request)
    {
        if (_options.TokenHeader.Length > 0 && request.Upgrade.Headers.TryGetValue(_options.TokenHeader, out var header) && header.Count > 0)
        {
            var value = header.ToString();
            return value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) && value.Length > BearerPrefix.Length
                ? value[BearerPrefix.Length..].Trim()
                : null;
        }

        return _options.TokenQueryParameter.Length > 0 && request.Upgrade.Query.TryGetValue(_options.TokenQueryParameter, out var query) && query.Count == 1 && !string.IsNullOrEmpty(query[0])
            ? query[0]
            : null;
    }

    /// <summary>
    /// The payload's claims as the authorizer context: strings, numbers and booleans as they are, lists and objects as
    /// their JSON text (an authorizer context holds no nested values).
    /// </summary>
    private static List<KeyValuePair<string, JsonElement>> Claims(JsonWebToken token)
    {
        var payload = Base64UrlEncoder.DecodeBytes(token.EncodedPayload);
        using var document = JsonDocument.Parse(payload);
        var claims = new List<KeyValuePair<string, JsonElement>>();
        foreach (var claim in document.RootElement.EnumerateObject())
        {
            if (AuthorizerContext.IsReservedKey(claim.Name))
            {
                continue;
            }

            var value = claim.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object or JsonValueKind.Null
                ? JsonSerializer.SerializeToElement(claim.Value.GetRawText(), AuthorizerJsonContext.Default.String)
                : claim.Value.Clone();
            claims.Add(new(claim.Name, value));
        }

        return claims;
    }
}
