using Switchboard.Events;

namespace SeedApp.Management;

/// <summary>
/// Where the send handler reaches the management API: the configured <c>SeedApp:ManagementEndpoint</c>, else
/// <c>http://{domainName}/{stage}</c> from the event — the Lambda function's
/// <c>endpoint: event.requestContext.domainName + '/' + event.requestContext.stage</c>.
/// </summary>
public sealed class ManagementEndpointResolver(Uri? configured)
{
    public Uri Resolve(RouteEvent routeEvent)
    {
        ArgumentNullException.ThrowIfNull(routeEvent);
        return configured ?? new Uri($"http://{routeEvent.DomainName}/{Uri.EscapeDataString(routeEvent.Stage)}");
    }
}
