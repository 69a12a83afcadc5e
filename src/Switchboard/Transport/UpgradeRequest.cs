using System.Net;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Transport;

/// <summary>
/// What the gateway reads from a WebSocket opening handshake, whichever layer received it: Kestrel's HTTP pipeline
/// (<see cref="HttpContextUpgrade"/>) or the connection middleware that answers handshakes itself
/// (<see cref="DirectUpgradeMiddleware"/>).
/// </summary>
internal sealed class UpgradeRequest
{
    public required string Method { get; init; }

    public required IHeaderDictionary Headers { get; init; }

    public required IQueryCollection Query { get; init; }

    /// <summary>True when the request can switch protocols: HTTP/1.1, <c>Connection: upgrade</c>, no body.</summary>
    public required bool IsUpgradable { get; init; }

    public required IPAddress? RemoteIpAddress { get; init; }

    public required int LocalPort { get; init; }

    /// <summary><c>http</c> or <c>https</c>.</summary>
    public required string Scheme { get; init; }

    public static UpgradeRequest From(HttpContext context) => new()
    {
        Method = context.Request.Method,
        Headers = context.Request.Headers,
        Query = context.Request.Query,
        // Kestrel offers the upgrade to HTTP/1.0 requests too; RFC 6455 requires HTTP/1.1.
        IsUpgradable = HttpProtocol.IsHttp11(context.Request.Protocol)
            && context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true },
        RemoteIpAddress = context.Connection.RemoteIpAddress,
        LocalPort = context.Connection.LocalPort,
        Scheme = context.Request.Scheme,
    };
}
