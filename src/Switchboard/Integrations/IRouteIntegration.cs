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
/// <item>An integration that holds resources of its own may implement <see cref="IAsyncDisposable"/> or
/// <see cref="IDisposable"/>: once a configuration reload has replaced its route table, it is disposed when no call of
/// it is in flight any more, and never called again.</item>
/// </list>
/// </summary>
public interface IRouteIntegration
{
    /// <summary>Invokes the backend with one event.</summary>
    ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken);
}
