using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Switchboard.Integrations;
using Switchboard.Integrations.Http;
using Switchboard.Integrations.InProcess;

namespace Switchboard.Routing;

/// <summary>Builds the <see cref="RouteTable"/> from validated options: one integration instance per route, created once.</summary>
internal static class RouteTableFactory
{
    public static RouteTable Create(SwitchboardOptions options, IServiceProvider services)
    {
        var custom = new Dictionary<string, CompiledRoute>(StringComparer.Ordinal);
        CompiledRoute? connect = null, disconnect = null, defaultRoute = null;
        foreach (var route in options.Routes)
        {
            var compiled = new CompiledRoute(
                route.RouteKey,
                CreateIntegration(route.Integration, services),
                route.TwoWay,
                route.Integration.Timeout ?? options.Limits.IntegrationTimeout);
            switch (route.RouteKey)
            {
                case RouteTable.ConnectKey:
                    connect = compiled;
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

        return new RouteTable(RouteSelectionExpression.Parse(options.RouteSelectionExpression), custom, connect, disconnect, defaultRoute);
    }

    private static IRouteIntegration CreateIntegration(IntegrationOptions integration, IServiceProvider services) =>
        integration.Type.ToLowerInvariant() switch
        {
            "http" => new HttpIntegration(services.GetRequiredService<IntegrationHttpClient>().Client, new Uri(integration.Uri!), integration.Headers),
            "inprocess" => new InProcessIntegration(integration.Handler!, services.GetRequiredKeyedService<IWebSocketRouteHandler>(integration.Handler)),
            _ => throw new InvalidOperationException($"Unknown integration type '{integration.Type}' passed validation"),
        };
}
