using System.Collections.Concurrent;
using System.Threading.Channels;
using Switchboard.Events;
using Switchboard.Integrations;

namespace Switchboard.Testing;

/// <summary>
/// An in-process route handler that records every event it receives, one queue per route key, and answers
/// 200 with no body. Register it with <c>services.AddRouteHandler(name, recorder.HandleAsync)</c>.
/// </summary>
public sealed class RouteEventRecorder
{
    private readonly ConcurrentDictionary<string, Channel<RouteEvent>> _events = new(StringComparer.Ordinal);

    public ValueTask<RouteResponse> HandleAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        Queue(routeEvent.RouteKey).Writer.TryWrite(routeEvent);
        return ValueTask.FromResult(RouteResponse.Ok);
    }

    /// <summary>The next event of <paramref name="routeKey"/>; throws when none arrives in time.</summary>
    public async Task<RouteEvent> NextAsync(string routeKey, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TestClient.DefaultTimeout);
        try
        {
            return await Queue(routeKey).Reader.ReadAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No {routeKey} event arrived within {timeout ?? TestClient.DefaultTimeout}");
        }
    }

    /// <summary>An event of <paramref name="routeKey"/> that has already arrived (does not wait).</summary>
    public bool TryTake(string routeKey, out RouteEvent? routeEvent) => Queue(routeKey).Reader.TryRead(out routeEvent);

    private Channel<RouteEvent> Queue(string routeKey) => _events.GetOrAdd(routeKey, static _ => Channel.CreateUnbounded<RouteEvent>());
}
