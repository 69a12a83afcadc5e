using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;

namespace Switchboard.Hosting;

/// <summary>
/// The WebSocket endpoint's convention builder while <c>Transport:DirectUpgrade</c> is on: passes every convention
/// on, and warns once that handshakes answered below the HTTP pipeline do not go through them. A policy such as
/// <c>RequireAuthorization</c> would otherwise be skipped without a word.
/// </summary>
internal sealed class DirectUpgradeConventionWarning(IEndpointConventionBuilder endpoint, ILogger logger, string stage) : IEndpointConventionBuilder
{
    private int _warned;

    public void Add(Action<EndpointBuilder> convention)
    {
        WarnOnce();
        endpoint.Add(convention);
    }

    public void Finally(Action<EndpointBuilder> finallyConvention)
    {
        WarnOnce();
        endpoint.Finally(finallyConvention);
    }

    private void WarnOnce()
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
        {
            Log.WebSocketConventionsBypassedByDirectUpgrade(logger, stage);
        }
    }
}
