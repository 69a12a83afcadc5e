using Microsoft.Extensions.DependencyInjection;
using Switchboard.Authorization;
using Switchboard.Configuration;
using Switchboard.Integrations;

namespace Switchboard.Routing;

/// <summary>Builds the <see cref="RouteTable"/> from validated options: one integration instance per route, created once per snapshot.</summary>
internal static class RouteTableFactory
{
    public static RouteTable Create(SwitchboardOptions options, IServiceProvider services)
    {
        var custom = new Dictionary<string, CompiledRoute>(StringComparer.Ordinal);
        CompiledRoute? connect = null, disconnect = null, defaultRoute = null;
        ConnectAuthorization? authorization = null;
        var stageVariables = RouteTable.Freeze(options.StageVariables);
        foreach (var route in options.Routes)
        {
            var compiled = new CompiledRoute(
                route.RouteKey,
                CreateIntegration(route.Integration, services),
                route.TwoWay,
                route.Integration.Timeout ?? options.Limits.IntegrationTimeout)
            {
                Kind = IntegrationKindName.Normalize(route.Integration.Type),
            };
            switch (route.RouteKey)
            {
                case RouteTable.ConnectKey:
                    connect = compiled;
                    authorization = route.Authorizer is { } authorizer ? ConnectAuthorizationFactory.Create(authorizer, options, stageVariables, services) : null;
                    break;
                case RouteTable.DisconnectKey:
                    disconnect = compiled;
                    break;
                case RouteTable.DefaultKey:
                    defaultRoute = compiled;
                    break;
                default:
                    custom[route.RouteKey] = compiled;
                    break;
            }
        }

        return new RouteTable(RouteSelectionExpression.Parse(options.RouteSelectionExpression), custom, connect, disconnect, defaultRoute, authorization, stageVariables);
    }

    private static IRouteIntegration CreateIntegration(IntegrationOptions integration, IServiceProvider services) =>
        services.GetRequiredKeyedService<IIntegrationKind>(IntegrationKindName.Normalize(integration.Type)).Create(integration);
}
