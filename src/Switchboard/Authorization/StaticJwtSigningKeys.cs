using Microsoft.IdentityModel.Tokens;
using Switchboard.Configuration;

namespace Switchboard.Authorization;

/// <summary>Public keys given in configuration (<c>Authorizer:Jwt:Keys</c>).</summary>
internal sealed class StaticJwtSigningKeys(IEnumerable<JsonWebKeyOptions> keys) : IJwtSigningKeys
{
    private readonly IReadOnlyList<SecurityKey> _keys = keys.Select(ToJsonWebKey).ToList();

    public ValueTask<IReadOnlyList<SecurityKey>?> GetKeysAsync(string? keyId, CancellationToken cancellationToken) => ValueTask.FromResult<IReadOnlyList<SecurityKey>?>(_keys);

    public static JsonWebKey ToJsonWebKey(JsonWebKeyOptions key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var jwk = new JsonWebKey { Kty = key.Kty, Kid = key.Kid, N = key.N, E = key.E, Crv = key.Crv, X = key.X, Y = key.Y };
        return jwk;
    }
}
