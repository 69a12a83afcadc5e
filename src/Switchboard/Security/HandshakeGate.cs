using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.RateLimiting;
using Switchboard.Routing;
using Switchboard.Transport;

namespace Switchboard.Security;

/// <summary>
/// What a valid WebSocket handshake must pass before it costs anything — before the connection cap, the registry or
/// <c>$connect</c> — on both handshake paths: who the client is (<see cref="TrustedProxies"/>), the page's origin
/// (403), the connection rate of its address and of the node, and the <c>$connect</c> route's integration rate (429).
/// Refusals are logged at most once a minute per kind.
/// </summary>
internal sealed class HandshakeGate(
    TrustedProxies proxies,
    HandshakeOrigins origins,
    GatewayRateLimits rateLimits,
    SwitchboardMetrics metrics,
    TimeProvider time,
    ILogger<HandshakeGate> logger)
{
    private static readonly TimeSpan RefusalLogInterval = LogThrottle.RefusalInterval;
    private readonly LogThrottle _originLog = new(time, RefusalLogInterval);
    private readonly LogThrottle _rateLog = new(time, RefusalLogInterval);

    /// <summary>The client, and the status to refuse the handshake with (null: go on).</summary>
    public (ClientEndpoint Client, int? RefusalStatus) Check(UpgradeRequest request)
    {
        var client = proxies.Resolve(request.RemoteIpAddress, request.Headers, request.Scheme, request.LocalPort);
        if (!origins.IsAllowed(request.Headers))
        {
            metrics.RequestRefused("Security:AllowedOrigins");
            if (_originLog.TryEnter(out var suppressed))
            {
                Log.HandshakeOriginRefused(logger, request.Headers.Origin.ToString(), suppressed);
            }

            return (client, StatusCodes.Status403Forbidden);
        }

        var setting = rateLimits.TryAcceptConnection(client.Address) switch
        {
            ConnectionRate.AddressLimited => "RateLimits:ConnectionsPerAddress",
            ConnectionRate.AddressTableFull => "RateLimits:MaxTrackedAddresses",
            ConnectionRate.NodeLimited => "RateLimits:Connections",
            _ => rateLimits.TryCallRoute(RouteTable.ConnectKey) ? null : "RateLimits:IntegrationCallsPerRoute",
        };
        if (setting is not null)
        {
            metrics.RequestRefused(setting);
            if (_rateLog.TryEnter(out var suppressed))
            {
                Log.HandshakeRateLimited(logger, client.Address?.ToString() ?? "(unknown)", setting, suppressed);
            }

            return (client, StatusCodes.Status429TooManyRequests);
        }

        return (client, null);
    }
}
