using Switchboard.Events;

namespace Switchboard.Integrations;

/// <summary>
/// A route's backend. Contract shared by every kind (a conformance suite runs against each):
/// <list type="bullet">
/// <item>Expected failures are results, not exceptions: a backend that errors, refuses the connection or
/// answers malformed output gives <see cref="IntegrationOutcome.Failed"/>; one that outlives the
/// token gives <see cref="IntegrationOutcome.TimedOut"/>.</item>
/// <item>The token is cancelled when the route's integration timeout elapses or the gateway shuts down.</item>
/// <item>Implementations are thread-safe: one instance serves every connection concurrently.</item>
/// </list>
/// </summary>
public interface IRouteIntegration
{
    /// <summary>Invokes the backend with one event.</summary>
    ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken);
}
