using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;

namespace Switchboard.Routing;

/// <summary>
/// Runs one route: calls the integration under the route's timeout (on the injected <see cref="TimeProvider"/>),
/// turns failures and timeouts into results, logs them with the request id and records metrics. Calls refused by a
/// full concurrency limit are logged once a minute per route, with how many were not.
/// </summary>
internal sealed class RouteInvoker(TimeProvider time, SwitchboardMetrics metrics, ILogger<RouteInvoker> logger)
{
    private static readonly string[] OutcomeNames = Enum.GetNames<IntegrationOutcome>();

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LogThrottle> _refusalLogs = new(StringComparer.Ordinal);

    /// <summary>
    /// Calls the route's integration in a span of its own (<see cref="SwitchboardActivities.StartIntegration"/>);
    /// <paramref name="handshakeLink"/> links a <c>$disconnect</c> call's span, which starts a new trace, to the connection's handshake.
    /// </summary>
    public async ValueTask<IntegrationResult> InvokeAsync(CompiledRoute route, RouteEvent routeEvent, CancellationToken cancellationToken, ActivityLink[]? handshakeLink = null)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = SwitchboardActivities.StartIntegration(route, routeEvent, handshakeLink);
        IntegrationResult result;
        if (routeEvent.EventType == RouteEventType.Disconnect && route.Integration is ConcurrencyLimitedIntegration limited)
        {
            // Nobody waits for a $disconnect's answer, and thousands fall due at once when clients leave together or
            // the node drains: its timeout starts once it has a slot, so none times out in the queue.
            result = await limited.EnterAsync(routeEvent, cancellationToken).ConfigureAwait(false)
                ?? await CallInSlotAsync(route, limited, routeEvent, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            result = await CallAsync(route, route.Integration, routeEvent, cancellationToken).ConfigureAwait(false);
        }

        metrics.IntegrationCompleted(route.RouteKey, route.Kind, OutcomeNames[(int)result.Outcome], Stopwatch.GetElapsedTime(started));
        SwitchboardActivities.IntegrationCompleted(activity, result);
        switch (result.Outcome)
        {
            case IntegrationOutcome.Failed when result.IsRefusal:
                if (_refusalLogs.GetOrAdd(route.RouteKey, static (_, time) => new LogThrottle(time, LogThrottle.RefusalInterval), time).TryEnter(out var suppressed))
                {
                    Log.IntegrationCallRefused(logger, route.RouteKey, routeEvent.ConnectionId, routeEvent.RequestId, result.FailureDetail ?? "", suppressed);
                }

                break;
            case IntegrationOutcome.Failed:
                Log.IntegrationFailed(logger, route.RouteKey, routeEvent.ConnectionId, routeEvent.RequestId, result.FailureDetail ?? "");
                break;
            case IntegrationOutcome.TimedOut:
                Log.IntegrationTimedOut(logger, route.RouteKey, routeEvent.ConnectionId, routeEvent.RequestId, result.FailureDetail ?? "");
                break;
        }

        return result;
    }

    private async ValueTask<IntegrationResult> CallInSlotAsync(CompiledRoute route, ConcurrencyLimitedIntegration limited, RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync(route, limited.Inner, routeEvent, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            limited.Release();
        }
    }

    /// <summary>Calls <paramref name="integration"/> under the route's timeout.</summary>
    private async ValueTask<IntegrationResult> CallAsync(CompiledRoute route, IRouteIntegration integration, RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pending = integration.InvokeAsync(routeEvent, callCancellation.Token);
        if (pending.IsCompletedSuccessfully)
        {
            return pending.Result;
        }

        try
        {
            return await pending.AsTask().WaitAsync(route.Timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await callCancellation.CancelAsync().ConfigureAwait(false);
            return IntegrationResult.Timeout(route.Timeout);
        }
    }
}
