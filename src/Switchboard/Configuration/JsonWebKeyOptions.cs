namespace Switchboard.Configuration;

/// <summary>One public JSON Web Key (RFC 7517) in configuration: RSA (<c>n</c>, <c>e</c>) or EC (<c>crv</c>, <c>x</c>, <c>y</c>).</summary>
public sealed class JsonWebKeyOptions
{
    /// <summary><c>RSA</c> or <c>EC</c>.</summary>
    public string Kty { get; set => field = value ?? ""; } = "";

    /// <summary>The key id tokens name in their <c>kid</c> header.</summary>
    public string? Kid { get; set; }

    /// <summary>RSA modulus, base64url.</summary>
    public string? N { get; set; }

    /// <summary>RSA exponent, base64url.</summary>
    public string? E { get; set; }

    /// <summary>EC curve: <c>P-256</c>, <c>P-384</c> or <c>P-521</c>.</summary>
    public string? Crv { get; set; }

    /// <summary>EC x coordinate, base64url.</summary>
    public string? X { get; set; }

    /// <summary>EC y coordinate, base64url.</summary>
    public string? Y { get; set; }
}
