using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Management;
using Switchboard.Routing;

namespace Switchboard.Hosting;

/// <summary>Maps the gateway's endpoints.</summary>
public static class SwitchboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the WebSocket endpoint <c>/{stage}</c> and the management API under <c>/{stage}/@connections</c>
    /// (plus <c>/{stage}/@broadcast</c> and <c>/{stage}/@stats</c>). The site root is left to the application.
    /// </summary>
    public static IEndpointRouteBuilder MapSwitchboard(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var handler = services.GetRequiredService<ConnectionHandler>();
        endpoints.Map("/" + options.Stage, handler.HandleAsync);
        ManagementEndpoints.Map(endpoints, options.Stage);

        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SwitchboardEndpointRouteBuilderExtensions));
        Log.Started(logger, options.Stage, services.GetRequiredService<RouteTable>().Count);
        return endpoints;
    }
}
