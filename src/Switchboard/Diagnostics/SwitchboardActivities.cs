using System.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Routing;
using Switchboard.Transport;

namespace Switchboard.Diagnostics;

/// <summary>
/// The gateway's spans, all from one <see cref="ActivitySource"/> named <c>Switchboard</c>; docs/observability.md
/// lists them with their attributes.
/// </summary>
/// <remarks>
/// <para>Spans: <c>$connect</c> (server, the handshake from its first check to the 101 or the refusal, a child of the
/// handshake's <c>traceparent</c>), <c>message {route}</c> (consumer, one per text message), <c>integration {route}</c>
/// (client, one per integration call, <c>$connect</c> and <c>$disconnect</c> included) and <c>management
/// {operation}</c> (server, a child of ASP.NET Core's request activity when there is one).</para>
/// <para>A message carries no trace context of its own, and a connection lives for hours: a message's span starts a
/// new trace with a link to the connection's handshake span, rather than a child of it, so that one long-lived
/// connection is not one unbounded trace. <c>$disconnect</c>'s integration span is linked the same way.</para>
/// <para>With nothing listening, <see cref="ActivitySource.StartActivity(string, ActivityKind)"/> returns null and every
/// method here does nothing: span names are only built when someone listens.</para>
/// </remarks>
public static class SwitchboardActivities
{
    /// <summary>The source name to subscribe to (OpenTelemetry's <c>AddSource("Switchboard")</c>).</summary>
    public const string SourceName = "Switchboard";

    /// <summary>The handshake span's name.</summary>
    public const string HandshakeName = "$connect";

    /// <summary>The connection id of a span: <c>switchboard.connection_id</c>.</summary>
    public const string ConnectionIdTag = "switchboard.connection_id";

    /// <summary>API Gateway's request id of the event (or the management call's <c>x-amzn-RequestId</c>): <c>switchboard.request_id</c>.</summary>
    public const string RequestIdTag = "switchboard.request_id";

    /// <summary>The route key, from the configuration: <c>switchboard.route</c>.</summary>
    public const string RouteTag = "switchboard.route";

    /// <summary>The integration kind (<c>http</c>, <c>lambda</c>, …): <c>switchboard.integration.kind</c>.</summary>
    public const string IntegrationKindTag = "switchboard.integration.kind";

    /// <summary>The integration call's outcome (<c>Succeeded</c>, <c>Failed</c>, <c>TimedOut</c>): <c>switchboard.integration.outcome</c>.</summary>
    public const string IntegrationOutcomeTag = "switchboard.integration.outcome";

    /// <summary>The management operation, as the <c>switchboard.management.duration</c> metric names it: <c>switchboard.management.operation</c>.</summary>
    public const string ManagementOperationTag = "switchboard.management.operation";

    /// <summary>OpenTelemetry's HTTP status attribute: the handshake's answer (101 or the refusal) and the management call's.</summary>
    public const string HttpStatusCodeTag = "http.response.status_code";

    private const string TraceParentHeader = "traceparent";
    private const string TraceStateHeader = "tracestate";

    private static readonly string[] OutcomeNames = Enum.GetNames<IntegrationOutcome>();

    internal static readonly ActivitySource Source = new(SourceName, typeof(SwitchboardActivities).Assembly.GetName().Version?.ToString(3));

    /// <summary>
    /// Starts the handshake span: a child of the current activity when the handshake came through ASP.NET Core's
    /// pipeline (which has read the headers), otherwise of the handshake's own <c>traceparent</c>/<c>tracestate</c>.
    /// </summary>
    internal static Activity? StartHandshake(UpgradeRequest request)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = Activity.Current?.Context ?? default;
        if (Activity.Current is null
            && request.Headers.TryGetValue(TraceParentHeader, out var traceParent)
            && ActivityContext.TryParse(traceParent.ToString(), request.Headers.TryGetValue(TraceStateHeader, out var traceState) ? traceState.ToString() : null, isRemote: true, out var remote))
        {
            parent = remote;
        }

        return Source.StartActivity(HandshakeName, ActivityKind.Server, parent);
    }

    /// <summary>Records the handshake's answer on the current handshake span: 101, or the refusal (5xx marks it failed).</summary>
    internal static void HandshakeAnswered(int statusCode)
    {
        if (Activity.Current is { } activity && activity.Source == Source && activity.OperationName == HandshakeName)
        {
            activity.SetTag(HttpStatusCodeTag, statusCode);
            if (statusCode >= 500)
            {
                activity.SetStatus(ActivityStatusCode.Error);
            }
        }
    }

    /// <summary>Tags the current handshake span (when there is one) with the connection id or the <c>$connect</c> event's request id.</summary>
    internal static void TagHandshake(string tag, string value)
    {
        if (Activity.Current is { } activity && activity.Source == Source && activity.OperationName == HandshakeName)
        {
            activity.SetTag(tag, value);
        }
    }

    /// <summary>The link a connection's later spans (messages, <c>$disconnect</c>) carry to its handshake span; null when it was not traced.</summary>
    internal static ActivityLink[]? HandshakeLink(Activity? handshake) =>
        handshake is null ? null : [new ActivityLink(handshake.Context)];

    /// <summary>
    /// Starts a message's span as the root of a new trace, linked to the connection's handshake. Call it from the
    /// method that handles the message: it clears <see cref="Activity.Current"/> (the read loop's, or ASP.NET Core's
    /// request activity that lasts as long as the connection) for that method's flow only.
    /// </summary>
    internal static Activity? StartMessage(string connectionId, ActivityLink[]? handshake)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        Activity.Current = null;
        var activity = Source.StartActivity(ActivityKind.Consumer, parentContext: default, links: handshake, name: "message");
        activity?.SetTag(ConnectionIdTag, connectionId);
        return activity;
    }

    /// <summary>Names a message's span after the route it selected (null: none matched) and tags its request id.</summary>
    internal static void MessageRouted(Activity? activity, string? routeKey, string requestId)
    {
        if (activity is null)
        {
            return;
        }

        activity.DisplayName = routeKey is null ? "message" : $"message {routeKey}";
        activity.SetTag(RouteTag, routeKey);
        activity.SetTag(RequestIdTag, requestId);
    }

    /// <summary>Marks a span failed, with a short description (never message content).</summary>
    internal static void Failed(Activity? activity, string description) => activity?.SetStatus(ActivityStatusCode.Error, description);

    /// <summary>
    /// Starts an integration call's span, a child of the current span (the handshake's or the message's). A
    /// <c>$disconnect</c> call has no request of its own: it starts a new trace linked to <paramref name="handshakeLink"/>,
    /// clearing <see cref="Activity.Current"/> for the calling method's flow (call it from the method that makes the call).
    /// </summary>
    internal static Activity? StartIntegration(CompiledRoute route, RouteEvent routeEvent, ActivityLink[]? handshakeLink)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var disconnect = routeEvent.EventType == RouteEventType.Disconnect;
        if (disconnect)
        {
            Activity.Current = null;
        }

        var activity = Source.StartActivity(ActivityKind.Client, parentContext: default, links: disconnect ? handshakeLink : null, name: $"integration {route.RouteKey}");
        if (activity is not null)
        {
            activity.SetTag(RouteTag, route.RouteKey);
            activity.SetTag(IntegrationKindTag, route.Kind);
            activity.SetTag(ConnectionIdTag, routeEvent.ConnectionId);
            activity.SetTag(RequestIdTag, routeEvent.RequestId);
        }

        return activity;
    }

    /// <summary>Records the outcome; a failed or timed-out call marks the span failed with the failure's description.</summary>
    internal static void IntegrationCompleted(Activity? activity, IntegrationResult result)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(IntegrationOutcomeTag, OutcomeNames[(int)result.Outcome]);
        if (result.Outcome != IntegrationOutcome.Succeeded)
        {
            activity.SetStatus(ActivityStatusCode.Error, result.FailureDetail);
        }
    }

    /// <summary>Starts a management call's span, a child of the current activity (ASP.NET Core's request activity).</summary>
    internal static Activity? StartManagement(string operation, string requestId)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity($"management {operation}", ActivityKind.Server);
        if (activity is not null)
        {
            activity.SetTag(ManagementOperationTag, operation);
            activity.SetTag(RequestIdTag, requestId);
        }

        return activity;
    }

    /// <summary>Records the management call's status code; 5xx marks the span failed.</summary>
    internal static void ManagementCompleted(Activity? activity, int statusCode)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag(HttpStatusCodeTag, statusCode);
        if (statusCode >= 500)
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    /// <summary>
    /// The <c>X-Amzn-Trace-Id</c> value for the current trace, as X-Ray maps a W3C trace id:
    /// <c>Root=1-{first 8 hex digits}-{last 24}</c>; null when no W3C activity is current.
    /// </summary>
    internal static string? AmznTraceId()
    {
        if (Activity.Current is not { IdFormat: ActivityIdFormat.W3C } activity)
        {
            return null;
        }

        var traceId = activity.TraceId.ToHexString();
        return $"Root=1-{traceId.AsSpan(0, 8)}-{traceId.AsSpan(8)}";
    }
}
