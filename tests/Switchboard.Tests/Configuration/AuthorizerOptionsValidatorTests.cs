using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Switchboard.Integrations;

namespace Switchboard.Tests.Configuration;

/// <summary>Bad authorizer settings are named by their key path (docs/configuration.md, "$connect authorizers").</summary>
public sealed class AuthorizerOptionsValidatorTests
{
    private static List<string> Validate(AuthorizerOptions authorizer, string routeKey = "$connect")
    {
        var services = new ServiceCollection();
        services.AddSwitchboard(new ConfigurationBuilder().Build())
            .AddRouteHandler("known", (_, _) => ValueTask.FromResult(RouteResponse.Ok));
        using var provider = services.BuildServiceProvider();
        var options = new SwitchboardOptions
        {
            Routes = [new RouteDefinition { RouteKey = routeKey, Integration = new IntegrationOptions { Type = "inprocess", Handler = "known" }, Authorizer = authorizer }],
        };
        return SwitchboardOptionsValidator.Collect(options, provider, openFileLimit: null);
    }

    private static AuthorizerOptions Request(params string[] identitySources) => new()
    {
        Type = "request",
        IdentitySource = [.. identitySources],
        Integration = new IntegrationOptions { Type = "inprocess", Handler = "known" },
    };

    private static AuthorizerOptions Jwt(Action<JwtAuthorizerOptions> change)
    {
        var jwt = new JwtAuthorizerOptions { Issuer = "https://issuer.example/", Audiences = ["api"], JwksUri = "https://issuer.example/jwks.json" };
        change(jwt);
        return new AuthorizerOptions { Type = "jwt", Jwt = jwt };
    }

    private static void AssertError(List<string> errors, string key, string? mentioning = null) =>
        Assert.Contains(errors, error => error.StartsWith($"Switchboard:Routes:0:Authorizer:{key}: ", StringComparison.Ordinal)
            && (mentioning is null || error.Contains(mentioning, StringComparison.Ordinal)));

    [Fact]
    public void ValidRequestAndJwtAuthorizers_PassValidation()
    {
        Assert.Empty(Validate(Request("route.request.header.Authorization", "route.request.querystring.token", "stageVariables.tenant", "context.identity.sourceIp")));
        Assert.Empty(Validate(Jwt(_ => { })));
        Assert.Empty(Validate(Jwt(jwt => jwt.JwksUri = "http://127.0.0.1:9000/jwks")));
    }

    [Theory]
    [InlineData("route.request.headers.Authorization", "not an identity source")]
    [InlineData("method.request.header.Authorization", "not an identity source")]
    [InlineData("route.request.header.", "names no header")]
    [InlineData("context.sourceIp", "unknown context variable")]
    public void UnknownIdentitySourceForm_IsNamedByItsIndex(string source, string message) =>
        AssertError(Validate(Request("route.request.header.Authorization", source)), "IdentitySource:1", message);

    [Fact]
    public void RequestAuthorizer_NeedsAnIdentitySourceAndAValidIntegration()
    {
        var authorizer = Request();
        authorizer.Integration = new IntegrationOptions { Type = "http", Uri = "ftp://x" };
        var errors = Validate(authorizer);

        AssertError(errors, "IdentitySource");
        AssertError(errors, "Integration:Uri", "ftp://x");
    }

    [Fact]
    public void AuthorizerOnAnotherRoute_IsRejected() =>
        Assert.Contains(Validate(Request("route.request.header.A"), "$default"), error => error.StartsWith("Switchboard:Routes:0:Authorizer: ", StringComparison.Ordinal));

    [Fact]
    public void UnknownType_IsRejectedWithASuggestion() =>
        AssertError(Validate(new AuthorizerOptions { Type = "jwtt" }), "Type", "did you mean 'jwt'");

    [Fact]
    public void MethodArnParts_AreChecked()
    {
        var authorizer = Request("route.request.header.A");
        authorizer.Region = "us:east";
        authorizer.AccountId = "12";
        var errors = Validate(authorizer);

        AssertError(errors, "Region");
        AssertError(errors, "AccountId");
    }

    [Fact]
    public void JwtWithoutIssuerAudiencesOrKeys_IsRejected()
    {
        var errors = Validate(Jwt(jwt =>
        {
            jwt.Issuer = "";
            jwt.Audiences = [];
            jwt.JwksUri = null;
        }));

        AssertError(errors, "Jwt:Issuer");
        AssertError(errors, "Jwt:Audiences");
        AssertError(errors, "Jwt:JwksUri", "either JwksUri");
    }

    [Theory]
    [InlineData("http://issuer.example/jwks.json")]
    [InlineData("jwks.json")]
    public void JwksUri_MustBeHttpsUnlessLoopback(string uri) =>
        AssertError(Validate(Jwt(jwt => jwt.JwksUri = uri)), "Jwt:JwksUri", uri);

    [Fact]
    public void JwtAlgorithmsAndKeys_AreChecked()
    {
        var errors = Validate(Jwt(jwt =>
        {
            jwt.JwksUri = null;
            jwt.Algorithms = ["RS256", "HS256", "none"];
            jwt.Keys = [new JsonWebKeyOptions { Kty = "oct" }, new JsonWebKeyOptions { Kty = "RSA", N = "abc" }, new JsonWebKeyOptions { Kty = "EC", Crv = "P-999", X = "a", Y = "b" }];
            jwt.ClockSkew = TimeSpan.FromHours(1);
            jwt.TokenHeader = "";
        }));

        AssertError(errors, "Jwt:Algorithms:1", "HS256");
        AssertError(errors, "Jwt:Algorithms:2", "none");
        AssertError(errors, "Jwt:Keys:0:Kty", "oct");
        AssertError(errors, "Jwt:Keys:1:E");
        AssertError(errors, "Jwt:Keys:2:Crv");
        AssertError(errors, "Jwt:ClockSkew");
        AssertError(errors, "Jwt:TokenHeader");
    }
}
