using Switchboard.Protocol;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Switchboard.Configuration;
using Switchboard.Security;

namespace Switchboard.Transport;

/// <summary>
/// Kestrel connection middleware that answers WebSocket handshakes for <c>/{stage}</c> itself, before Kestrel's HTTP
/// layer: the connection then costs a socket, its pipes and the gateway's own state, instead of also a whole HTTP/1.1
/// request (its header tables, body streams, features and the hosting activity) held for the connection's lifetime.
/// </summary>
/// <remarks>
/// Only the first request of a connection is looked at, and only a well-formed <c>GET /{stage}</c> handshake is taken;
/// everything else (the management API, other paths, malformed or refused handshakes, TLS that this middleware sits
/// outside of) goes on to Kestrel untouched, where the <c>/{stage}</c> endpoint answers handshakes as before.
/// Application middleware does not see the handshakes taken here.
/// </remarks>
internal sealed class DirectUpgradeMiddleware
{
    private readonly ConnectionDelegate _next;
    private readonly Connections.WebSocketSessionHandler _handler;
    private readonly TimeProvider _time;
    private readonly AllowedHosts _hosts;
    private readonly byte[] _requestLinePrefix;
    private readonly Connections.ConnectionBudget _budget;
    private readonly int _maxHeadBytes;
    private readonly TimeSpan _headTimeout;

    /// <summary>The longest delay a <see cref="CancellationTokenSource"/> timer accepts.</summary>
    private static readonly TimeSpan MaxTimerDelay = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    public DirectUpgradeMiddleware(ConnectionDelegate next, IServiceProvider services)
    {
        _next = next;
        _handler = services.GetRequiredService<Connections.WebSocketSessionHandler>();
        _time = services.GetRequiredService<TimeProvider>();
        _hosts = services.GetRequiredService<AllowedHosts>();
        _budget = services.GetRequiredService<Connections.ConnectionBudget>();
        // "GET /" at the root (Switchboard:BasePath ""): the parser still requires a space, '?' or '/' after it.
        var segment = ApiPath.Segment(services.GetRequiredService<IOptions<SwitchboardOptions>>().Value);
        _requestLinePrefix = Encoding.ASCII.GetBytes($"GET /{segment}");
        var limits = services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        _maxHeadBytes = limits.MaxRequestLineSize + limits.MaxRequestHeadersTotalSize;
        // Kestrel keeps "no timeout" as TimeSpan.MaxValue, beyond what a timer takes.
        _headTimeout = limits.RequestHeadersTimeout >= MaxTimerDelay ? Timeout.InfiniteTimeSpan : limits.RequestHeadersTimeout;
    }

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // Every socket of the endpoint, handshake or not, counts against the node's open-file budget.
        if (!_budget.TryOpenSocket())
        {
            connection.Abort(new ConnectionAbortedException("The node holds as many sockets as its open-file limit allows."));
            return;
        }

        try
        {
            var (passOn, upgrade) = await ReadHandshakeAsync(connection).ConfigureAwait(false);
            if (upgrade is not null)
            {
                await _handler.RunAsync(upgrade).ConfigureAwait(false);
            }
            else if (passOn)
            {
                await _next(connection).ConfigureAwait(false);
            }
        }
        finally
        {
            _budget.CloseSocket();
        }
    }

    /// <summary>
    /// Reads until the first request head is complete or shows it is not a handshake to take. Returns the upgrade to
    /// run, or whether Kestrel gets the connection (false: the client went away or sent no head in time).
    /// </summary>
    private async Task<(bool PassOn, DirectUpgrade? Upgrade)> ReadHandshakeAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        // Kestrel's header timeout does not run before its HTTP layer; this one stands in for it.
        using var timeout = new CancellationTokenSource(_headTimeout, _time);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                connection.Abort(new ConnectionAbortedException("The WebSocket handshake was not received in time."));
                return (false, null);
            }
            catch (Exception exception) when (exception is IOException or ConnectionResetException or ConnectionAbortedException)
            {
                return (false, null);
            }

            var buffer = result.Buffer;
            switch (HandshakeHeadParser.TryParse(buffer, _requestLinePrefix, _maxHeadBytes, out var headLength, out var headers, out var queryString))
            {
                case HandshakeHead.Complete:
                    var request = NewRequest(connection, headers!, queryString);
                    // Host filtering and the rest of the application pipeline never see this path, so the Host is checked here.
                    if (WebSocketHandshake.Validate(request) is not null || !_hosts.IsAllowed(request.Headers.Host))
                    {
                        // The endpoint answers a refused handshake with its reason.
                        input.AdvanceTo(buffer.Start);
                        return (true, null);
                    }

                    input.AdvanceTo(buffer.GetPosition(headLength));
                    return (false, new DirectUpgrade(connection, request));
                case HandshakeHead.Incomplete when !result.IsCompleted:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    break;
                default:
                    // Nothing consumed or examined: Kestrel's first read returns these bytes at once.
                    input.AdvanceTo(buffer.Start);
                    return (true, null);
            }
        }
    }

    private static UpgradeRequest NewRequest(ConnectionContext connection, IHeaderDictionary headers, string queryString) => new()
    {
        Method = HttpMethods.Get,
        Headers = headers,
        Query = queryString.Length == 0 ? QueryCollection.Empty : new QueryCollection(QueryHelpers.ParseQuery(queryString)),
        IsUpgradable = WebSocketHandshake.ContainsToken(headers.Connection, "upgrade")
            && headers.TransferEncoding.Count == 0
            && (!headers.TryGetValue(HeaderNames.ContentLength, out var length) || length == "0"),
        RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address,
        LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
        Scheme = connection.Features.Get<ITlsHandshakeFeature>() is null ? "http" : "https",
    };
}
