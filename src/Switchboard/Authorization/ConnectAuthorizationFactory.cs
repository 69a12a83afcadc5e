using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Configuration;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Routing;

namespace Switchboard.Authorization;

/// <summary>Builds the <c>$connect</c> route's authorizer from validated options, once per route table.</summary>
internal static class ConnectAuthorizationFactory
{
    /// <summary>The named <see cref="HttpClient"/> the JWT authorizer fetches key sets with.</summary>
    public const string JwksHttpClientName = "Switchboard.Jwks";

    /// <summary>The authorizer of one route table; its events carry that table's <paramref name="stageVariables"/> (<see cref="RouteTable.Freeze"/>).</summary>
    public static ConnectAuthorization Create(AuthorizerOptions authorizer, SwitchboardOptions options, IReadOnlyDictionary<string, string>? stageVariables, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(authorizer);
        ArgumentNullException.ThrowIfNull(options);
        var identitySources = authorizer.IdentitySource
            .Select(text => IdentitySource.TryParse(text, out var source, out _) ? source! : throw new InvalidOperationException($"identity source '{text}' passed validation but does not parse"))
            .ToList();
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetRequiredService<ILoggerFactory>();
        IConnectAuthorizer implementation = IsJwt(authorizer)
            ? new JwtAuthorizer(authorizer.Jwt, CreateKeys(authorizer.Jwt, services, time, loggers), time)
            : new RequestAuthorizer(
                new CompiledRoute(
                    RequestAuthorizer.RouteKey,
                    services.GetRequiredKeyedService<IIntegrationKind>(IntegrationKindName.Normalize(authorizer.Integration.Type)).Create(authorizer.Integration),
                    TwoWay: false,
                    authorizer.Integration.Timeout ?? options.Limits.IntegrationTimeout)
                {
                    Kind = IntegrationKindName.Normalize(authorizer.Integration.Type),
                },
                MethodArn(authorizer, options),
                stageVariables,
                services.GetRequiredService<RouteInvoker>(),
                services.GetRequiredService<RouteEventFactory>());
        return new ConnectAuthorization(identitySources, options.StageVariables, implementation, time, loggers.CreateLogger<ConnectAuthorization>());
    }

    /// <summary>
    /// The JWKS client: no redirects (the key set's URL was checked to be https or loopback; a redirect could lead
    /// elsewhere), no cookies, and no HTTP client logging (fetches are logged once, by <see cref="JwksSigningKeys"/>).
    /// </summary>
    public static void AddJwksHttpClient(IServiceCollection services) =>
        services.AddHttpClient(JwksHttpClientName)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(10),
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RemoveAllLoggers();

    public static bool IsJwt(AuthorizerOptions authorizer) =>
        string.Equals(authorizer.Type.Trim(), AuthorizerOptions.JwtType, StringComparison.OrdinalIgnoreCase);

    /// <summary>API Gateway's method ARN of <c>$connect</c>: <c>arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/$connect</c>.</summary>
    public static string MethodArn(AuthorizerOptions authorizer, SwitchboardOptions options) =>
        $"arn:aws:execute-api:{authorizer.Region}:{authorizer.AccountId}:{options.ApiId}/{options.Stage}/{RouteTable.ConnectKey}";

    private static IJwtSigningKeys CreateKeys(JwtAuthorizerOptions jwt, IServiceProvider services, TimeProvider time, ILoggerFactory loggers) =>
        string.IsNullOrWhiteSpace(jwt.JwksUri)
            ? new StaticJwtSigningKeys(jwt.Keys)
            : new JwksSigningKeys(services.GetRequiredService<IHttpClientFactory>().CreateClient(JwksHttpClientName), jwt, time, loggers.CreateLogger<JwksSigningKeys>());
}
