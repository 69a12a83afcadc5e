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

    public async ValueTask<IntegrationResult> InvokeAsync(CompiledRoute route, RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IntegrationResult result;
        var pending = route.Integration.InvokeAsync(routeEvent, callCancellation.Token);
        if (pending.IsCompletedSuccessfully)
        {
            result = pending.Result;
        }
        else
        {
            try
            {
                result = await pending.AsTask().WaitAsync(route.Timeout, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await callCancellation.CancelAsync().ConfigureAwait(false);
                result = IntegrationResult.Timeout(route.Timeout);
            }
        }

        metrics.IntegrationCompleted(route.RouteKey, route.Kind, OutcomeNames[(int)result.Outcome], Stopwatch.GetElapsedTime(started));
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
}
