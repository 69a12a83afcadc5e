using System.Threading.Channels;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

namespace Switchboard.Testing;

/// <summary>
/// An in-process route handler that records every event it receives and answers with <see cref="Responder"/>
/// (default: an empty 200). Register one instance under several names to watch several routes.
/// </summary>
public sealed class RecordingRouteHandler : IWebSocketRouteHandler
{
    private readonly Channel<RouteEvent> _events = Channel.CreateUnbounded<RouteEvent>();

    /// <summary>What the handler answers; may be replaced while the gateway runs.</summary>
    public Func<RouteEvent, CancellationToken, ValueTask<RouteResponse>> Responder { get; set; } =
        (_, _) => ValueTask.FromResult(RouteResponse.Ok);

    public async ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        await _events.Writer.WriteAsync(routeEvent, cancellationToken);
        return await Responder(routeEvent, cancellationToken);
    }

    /// <summary>The next event whose route key is <paramref name="routeKey"/>, skipping others; throws on timeout.</summary>
    public async Task<RouteEvent> NextEventAsync(string routeKey, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        while (true)
        {
            var recorded = await _events.Reader.ReadAsync(cancellation.Token);
            if (recorded.RouteKey == routeKey)
            {
                return recorded;
            }
        }
    }

    /// <summary>Whether an event of <paramref name="routeKey"/> has already arrived (does not wait; events of other routes are skipped).</summary>
    public bool TryTakeEvent(string routeKey)
    {
        while (_events.Reader.TryRead(out var recorded))
        {
            if (recorded.RouteKey == routeKey)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The next event of any route; throws on timeout.</summary>
    public async Task<RouteEvent> NextEventAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        return await _events.Reader.ReadAsync(cancellation.Token);
    }
}
