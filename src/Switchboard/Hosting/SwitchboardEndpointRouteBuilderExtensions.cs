using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Diagnostics;
using Switchboard.Hosting;
using Switchboard.Management;
using Switchboard.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the gateway's endpoints.</summary>
public static class SwitchboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the WebSocket endpoint <c>/{stage}</c> and the management API under <c>/{stage}/@connections</c>
    /// (plus <c>/{stage}/@broadcast</c> and <c>/{stage}/@stats</c>), or under <c>Switchboard:BasePath</c> instead of
    /// the stage when one is set. The site root is left to the application unless the base path is <c>""</c>; then
    /// <c>/</c> is the WebSocket endpoint, and a page served there must let WebSocket handshakes pass.
    /// </summary>
    /// <returns>
    /// The endpoints' conventions, for the application's policies: <c>app.MapSwitchboard().Management.RequireAuthorization("ops")</c>.
    /// The gateway's own management checks (loopback callers only, no cross-site browser calls, the Host header) stay in
    /// place underneath.
    /// </returns>
    public static SwitchboardEndpointConventionBuilder MapSwitchboard(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var options = services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(Log.HostingCategory);
        var handler = services.GetRequiredService<WebSocketSessionHandler>();
        IEndpointConventionBuilder webSocket = endpoints.Map(ApiPath.WebSocket(options), handler.HandleAsync);
        if (options.Transport.DirectUpgrade)
        {
            webSocket = new DirectUpgradeConventionWarning(webSocket, logger, ApiPath.Segment(options));
        }

        var management = ManagementEndpoints.Map(endpoints, ApiPath.ManagementPrefix(options));

        var routeCount = services.GetRequiredService<RouteTableSource>().Current.Count;
        if (options.BasePath is null)
        {
            Log.Started(logger, options.Stage, routeCount);
        }
        else
        {
            Log.StartedUnderBasePath(logger, options.Stage, routeCount, ApiPath.WebSocket(options), ApiPath.ManagementPrefix(options));
        }
        LogBudget(logger, services.GetRequiredService<ConnectionBudget>(), options);
        return new SwitchboardEndpointConventionBuilder(webSocket, management);
    }

    private static void LogBudget(ILogger logger, ConnectionBudget budget, SwitchboardOptions options)
    {
        if (!budget.IsLimited)
        {
            return;
        }

        var source = (budget.Derived, budget.AvailableMemoryBytes) switch
        {
            (false, _) => "set by Switchboard:Limits:MaxConnections",
            (true, { } memory) => $"derived from the {memory / (1024 * 1024)} MB the GC may use ({ConnectionBudget.ReservedHeapBytes / (1024 * 1024)} MB kept for the process, {OutboundBudget.BytesFor(options.Limits, memory) / (1024 * 1024)} MB for outbound queues, {ConnectionBudget.HeapBytesPerConnection / 1024} KB per connection)",
            _ => $"derived from the open-file limit of {budget.OpenFileLimit} ({ConnectionBudget.ReservedFiles} kept for the process, {budget.IntegrationFiles} for HTTP integrations)",
        };
        Log.ConnectionBudget(logger, budget.MaxConnections, budget.OtherSockets, source);
        if (budget.Overcommitted > 0)
        {
            Log.ConnectionBudgetOvercommitted(logger, budget.MaxConnections, budget.Overcommitted, budget.OpenFileLimit!.Value);
        }
    }
}
