using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Events;
using Switchboard.Integrations;

namespace Switchboard.Server.Demo;

/// <summary>
/// The in-process handlers of the demo API (demo-api.json): what AWS's chat sample does with a table scan,
/// done with one broadcast call.
/// </summary>
internal static class DemoHandlers
{
    public static ISwitchboardBuilder AddDemoHandlers(this ISwitchboardBuilder services)
    {
        // sendmessage: {"action":"sendmessage","data":"…"} sends data (or the whole body) to every connection.
        services.AddRouteHandler<BroadcastHandler>("demo.broadcast");

        // echo / $default: sends the message back to its sender (two-way route).
        services.AddRouteHandler("demo.echo", static (routeEvent, _) => ValueTask.FromResult(RouteResponse.WithBody(routeEvent.Body ?? "")));

        // whoami: tells a client its own connection id (the web page shows it).
        services.AddRouteHandler("demo.whoami", static (routeEvent, _) => ValueTask.FromResult(
            RouteResponse.WithBody(JsonSerializer.Serialize(new WhoAmI("whoami", routeEvent.ConnectionId), DemoJsonContext.Default.WhoAmI))));
        return services;
    }

    /// <summary>The <c>data</c> member of a JSON message (the AWS chat sample's format), else the whole body.</summary>
    internal static string DataOrBody(RouteEvent routeEvent)
    {
        var body = routeEvent.Body ?? "";
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("data", out var data))
            {
                return data.ValueKind == JsonValueKind.String ? data.GetString()! : data.GetRawText();
            }
        }
        catch (JsonException)
        {
        }

        return body;
    }
}
