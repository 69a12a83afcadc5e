using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.RateLimiting;
using Switchboard.Routing;

namespace Switchboard.Connections;

/// <summary>
/// Handles one text message of a connection: selects its route, builds the event, invokes the integration, and
/// answers the client as API Gateway does — the reply on two-way routes, or an error frame ("Forbidden" when no
/// route matches, "Internal server error" when the integration failed, "Endpoint request timed out").
/// </summary>
internal sealed class MessageDispatcher(
    RouteTableSource routes,
    RouteInvoker invoker,
    RouteEventFactory events,
    GatewayRateLimits rateLimits,
    SwitchboardMetrics metrics,
    TimeProvider time,
    ILogger<MessageDispatcher> logger)
{
    private const string TooManyRequests = "Too Many Requests";
    private readonly LogThrottle _messageRateLog = new(time, LogThrottle.RefusalInterval);
    private readonly LogThrottle _routeRateLog = new(time, LogThrottle.RefusalInterval);

    /// <summary>
    /// Answers a message dropped for <c>RateLimits:MessagesPerConnection</c>: API Gateway's error frame with "Too Many
    /// Requests", the connection stays open.
    /// </summary>
    public void RefuseThrottled(GatewayConnection connection)
    {
        metrics.MessageRouted(SwitchboardMetrics.RateLimited);
        metrics.RequestRefused("RateLimits:MessagesPerConnection");
        var requestId = ConnectionId.New();
        if (_messageRateLog.TryEnter(out var suppressed))
        {
            Log.MessageRateLimited(logger, connection.Id, requestId, suppressed);
        }

        connection.TrySend(ErrorFrame(TooManyRequests, connection.Id, requestId));
    }

    /// <summary>
    /// Runs to completion without blocking the caller's read loop and never throws; leaves <paramref name="inFlight"/>
    /// (which the caller entered) when done.
    /// </summary>
    public async Task DispatchAsync(GatewayConnection connection, string domainName, byte[] body, InFlightMessages inFlight)
    {
        using var activity = SwitchboardActivities.StartMessage(connection.Id, connection.HandshakeLink);
        try
        {
            var now = time.GetUtcNow();
            // The table of this moment: a reload after this line does not change this message's route or stage variables.
            using var lease = routes.Acquire();
            var route = lease.Table.Select(body);
            metrics.MessageRouted(route?.RouteKey ?? SwitchboardMetrics.NoRoute);
            if (route is null)
            {
                var requestId = ConnectionId.New();
                SwitchboardActivities.MessageRouted(activity, null, requestId);
                SwitchboardActivities.Failed(activity, "no route");
                Log.NoRoute(logger, connection.Id, requestId);
                connection.TrySend(ErrorFrame("Forbidden", connection.Id, requestId));
                return;
            }

            if (!rateLimits.TryCallRoute(route.RouteKey))
            {
                var requestId = ConnectionId.New();
                SwitchboardActivities.MessageRouted(activity, route.RouteKey, requestId);
                SwitchboardActivities.Failed(activity, "RateLimits:IntegrationCallsPerRoute");
                metrics.RequestRefused("RateLimits:IntegrationCallsPerRoute");
                if (_routeRateLog.TryEnter(out var suppressed))
                {
                    Log.IntegrationRateLimited(logger, route.RouteKey, connection.Id, requestId, suppressed);
                }

                connection.TrySend(ErrorFrame(TooManyRequests, connection.Id, requestId));
                return;
            }

            var routeEvent = events.Message(route.RouteKey, connection, domainName, body, now, lease.Table.StageVariables);
            SwitchboardActivities.MessageRouted(activity, route.RouteKey, routeEvent.RequestId);
            var result = await invoker.InvokeAsync(route, routeEvent, CancellationToken.None).ConfigureAwait(false);
            if (result.Outcome != IntegrationOutcome.Succeeded)
            {
                SwitchboardActivities.Failed(activity, result.FailureDetail ?? result.Outcome.ToString());
            }

            switch (result.Outcome)
            {
                case IntegrationOutcome.Failed:
                    connection.TrySend(ErrorFrame("Internal server error", connection.Id, routeEvent.RequestId));
                    break;
                case IntegrationOutcome.TimedOut:
                    connection.TrySend(ErrorFrame("Endpoint request timed out", connection.Id, routeEvent.RequestId));
                    break;
                case IntegrationOutcome.Succeeded when route.TwoWay && !string.IsNullOrEmpty(result.Response!.Body):
                    connection.TrySend(OutboundMessage.FromText(result.Response.Body), writeNow: true);
                    break;
            }
        }
#pragma warning disable CA1031 // A bug in routing one message must not take the connection or the process down.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            SwitchboardActivities.Failed(activity, exception.GetType().Name);
            Log.UnexpectedConnectionError(logger, connection.Id, exception);
        }
        finally
        {
            inFlight.Exit();
        }
    }

    /// <summary>API Gateway's error frame, byte for byte (including its irregular spacing).</summary>
    private static OutboundMessage ErrorFrame(string message, string connectionId, string requestId) =>
        OutboundMessage.FromText($"{{\"message\": \"{message}\", \"connectionId\":\"{connectionId}\", \"requestId\":\"{requestId}\"}}");
}
