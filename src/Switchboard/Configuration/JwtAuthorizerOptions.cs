namespace Switchboard.Configuration;

/// <summary>The built-in JWT authorizer (<c>Routes:N:Authorizer:Jwt</c>). Only asymmetric signatures are accepted (RSA, RSA-PSS, ECDSA).</summary>
public sealed class JwtAuthorizerOptions
{
    /// <summary>The only <c>iss</c> accepted. Required.</summary>
    public string Issuer { get; set => field = value ?? ""; } = "";

    /// <summary>The <c>aud</c> values accepted (one match is enough). At least one is required.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>An https URL (http only for loopback) serving the issuer's JSON Web Key Set. Either this or <see cref="Keys"/>.</summary>
    public string? JwksUri { get; set; }

    /// <summary>Public keys given here instead of a <see cref="JwksUri"/>, as JSON Web Keys.</summary>
    public List<JsonWebKeyOptions> Keys { get; set; } = [];

    /// <summary>The header that carries <c>Bearer &lt;token&gt;</c>; "" to not read one.</summary>
    public string TokenHeader { get; set => field = value ?? ""; } = "Authorization";

    /// <summary>
    /// The query parameter that carries the token, for browsers (which cannot set headers on a WebSocket handshake);
    /// "" (the default) to not read one. The header wins when both are sent.
    /// </summary>
    public string TokenQueryParameter { get; set => field = value ?? ""; } = "";

    /// <summary>
    /// The signature algorithms accepted, from RS256/384/512, PS256/384/512 and ES256/384/512; empty (the default) for all
    /// of those. <c>none</c> and HMAC algorithms never are.
    /// </summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>How far <c>exp</c> and <c>nbf</c> may be off the gateway's clock.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a fetched key set is used before it is fetched again.</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// The least time between two fetches: a token whose <c>kid</c> is not in the key set makes the gateway fetch it
    /// again (key rotation), but no more often than this, so unknown kids cannot make it hammer the issuer.
    /// </summary>
    public TimeSpan JwksMinimumRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one fetch of the key set may take.</summary>
    public TimeSpan JwksTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
