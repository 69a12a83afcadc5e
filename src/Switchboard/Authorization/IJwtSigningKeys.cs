using Microsoft.IdentityModel.Tokens;

namespace Switchboard.Authorization;

/// <summary>Where the JWT authorizer finds the issuer's public keys: configuration or a JWKS URL.</summary>
internal interface IJwtSigningKeys
{
    /// <summary>
    /// The keys to validate a token whose header names <paramref name="keyId"/> (null when it names none); null when
    /// no keys can be had (the key set cannot be fetched and none was fetched before).
    /// </summary>
    ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(string? keyId, CancellationToken cancellationToken);
}
