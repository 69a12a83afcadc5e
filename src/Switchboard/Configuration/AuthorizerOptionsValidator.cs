using System.Net;
using Switchboard.Authorization;

namespace Switchboard.Configuration;

/// <summary>Checks a <c>$connect</c> authorizer's settings (<see cref="AuthorizerOptions"/>); each problem is named by its key path.</summary>
internal static class AuthorizerOptionsValidator
{
    /// <summary>Asymmetric JWS algorithms: a token can only be checked with a public key, never with a shared secret or none.</summary>
    internal static readonly IReadOnlyList<string> AcceptableAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

    private static readonly string[] Types = [AuthorizerOptions.RequestType, AuthorizerOptions.JwtType];
    private static readonly string[] Curves = ["P-256", "P-384", "P-521"];

    /// <param name="key">The authorizer's key path below <c>Switchboard</c>, e.g. <c>Routes:0:Authorizer</c>.</param>
    /// <param name="authorizer">The settings.</param>
    /// <param name="validateIntegration">Checks a <c>request</c> authorizer's integration as a route's is checked.</param>
    /// <param name="error">Reports one problem: key path, message.</param>
    public static void Validate(string key, AuthorizerOptions authorizer, Action<string, IntegrationOptions> validateIntegration, Action<string, string> error)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        ArgumentNullException.ThrowIfNull(validateIntegration);
        ArgumentNullException.ThrowIfNull(error);
        for (var i = 0; i < authorizer.IdentitySource.Count; i++)
        {
            if (!IdentitySource.TryParse(authorizer.IdentitySource[i], out _, out var problem))
            {
                error($"{key}:IdentitySource:{i}", problem!);
            }
        }

        if (string.IsNullOrWhiteSpace(authorizer.Region) || authorizer.Region.Contains(':', StringComparison.Ordinal))
        {
            error($"{key}:Region", $"'{authorizer.Region}' is not a region name (e.g. us-east-1)");
        }

        if (authorizer.AccountId.Length != 12 || !authorizer.AccountId.All(char.IsAsciiDigit))
        {
            error($"{key}:AccountId", $"'{authorizer.AccountId}' is not an account id (12 digits)");
        }

        switch (authorizer.Type.Trim().ToLowerInvariant())
        {
            case AuthorizerOptions.RequestType:
                if (authorizer.IdentitySource.Count == 0)
                {
                    error($"{key}:IdentitySource", "a request authorizer needs at least one identity source (e.g. route.request.header.Authorization), as API Gateway's do");
                }

                validateIntegration($"{key}:Integration", authorizer.Integration);
                break;
            case AuthorizerOptions.JwtType:
                ValidateJwt($"{key}:Jwt", authorizer.Jwt, error);
                break;
            case "":
                error($"{key}:Type", $"is required ({string.Join(" or ", Types)})");
                break;
            default:
                error($"{key}:Type", $"unknown authorizer type '{authorizer.Type}' (expected {string.Join(" or ", Types)}){Suggestion.For(authorizer.Type, Types)}");
                break;
        }
    }

    private static void ValidateJwt(string key, JwtAuthorizerOptions jwt, Action<string, string> error)
    {
        if (string.IsNullOrWhiteSpace(jwt.Issuer))
        {
            error($"{key}:Issuer", "is required: the only iss accepted");
        }

        if (jwt.Audiences.Count == 0 || jwt.Audiences.Any(string.IsNullOrWhiteSpace))
        {
            error($"{key}:Audiences", "needs at least one audience, none of them empty: a token for another audience must not be accepted");
        }

        var hasUri = !string.IsNullOrWhiteSpace(jwt.JwksUri);
        if (hasUri == (jwt.Keys.Count > 0))
        {
            error($"{key}:{(hasUri ? "Keys" : "JwksUri")}", "set either JwksUri (the issuer's key set) or Keys (public keys here), not both and not neither");
        }

        if (hasUri && !IsKeySetUri(jwt.JwksUri!))
        {
            error($"{key}:JwksUri", $"'{jwt.JwksUri}' is not an absolute https URL (http only on a loopback address)");
        }

        for (var i = 0; i < jwt.Keys.Count; i++)
        {
            ValidateKey($"{key}:Keys:{i}", jwt.Keys[i], error);
        }

        if (jwt.TokenHeader.Length == 0 && jwt.TokenQueryParameter.Length == 0)
        {
            error($"{key}:TokenHeader", "TokenHeader and TokenQueryParameter are both empty: the token could come from nowhere");
        }

        for (var i = 0; i < jwt.Algorithms.Count; i++)
        {
            if (!AcceptableAlgorithms.Contains(jwt.Algorithms[i]))
            {
                error($"{key}:Algorithms:{i}", $"'{jwt.Algorithms[i]}' is not accepted (only asymmetric algorithms: {string.Join(", ", AcceptableAlgorithms)}){Suggestion.For(jwt.Algorithms[i], AcceptableAlgorithms)}");
            }
        }

        if (jwt.ClockSkew < TimeSpan.Zero || jwt.ClockSkew > TimeSpan.FromMinutes(5))
        {
            error($"{key}:ClockSkew", $"{jwt.ClockSkew} is outside 0 to 5 minutes");
        }

        if (jwt.JwksRefreshInterval <= TimeSpan.Zero)
        {
            error($"{key}:JwksRefreshInterval", $"must be positive (got {jwt.JwksRefreshInterval})");
        }

        if (jwt.JwksMinimumRefreshInterval < TimeSpan.Zero || jwt.JwksMinimumRefreshInterval > jwt.JwksRefreshInterval)
        {
            error($"{key}:JwksMinimumRefreshInterval", $"{jwt.JwksMinimumRefreshInterval} is outside 0 to JwksRefreshInterval ({jwt.JwksRefreshInterval})");
        }

        if (jwt.JwksTimeout <= TimeSpan.Zero)
        {
            error($"{key}:JwksTimeout", $"must be positive (got {jwt.JwksTimeout})");
        }
    }

    private static void ValidateKey(string key, JsonWebKeyOptions jwk, Action<string, string> error)
    {
        void Required(string name, string? value)
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                error($"{key}:{name}", $"is required for a {jwk.Kty} key");
            }
        }

        switch (jwk.Kty)
        {
            case "RSA":
                Required(nameof(jwk.N), jwk.N);
                Required(nameof(jwk.E), jwk.E);
                break;
            case "EC":
                if (!Curves.Contains(jwk.Crv))
                {
                    error($"{key}:Crv", $"'{jwk.Crv}' is not a curve ({string.Join(", ", Curves)})");
                }

                Required(nameof(jwk.X), jwk.X);
                Required(nameof(jwk.Y), jwk.Y);
                break;
            default:
                error($"{key}:Kty", $"'{jwk.Kty}' is not a public key type (RSA or EC; shared secrets are not accepted)");
                break;
        }
    }

    /// <summary>The key set decides which tokens pass: fetched over TLS, or from this machine.</summary>
    private static bool IsKeySetUri(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address)))));
}
