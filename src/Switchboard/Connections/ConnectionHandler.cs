using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Registry;
using Switchboard.Routing;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// The WebSocket endpoint at <c>/{stage}</c>: runs <c>$connect</c> before completing the handshake, registers
/// the connection, reads and routes its messages, and after the socket closes unregisters it and runs
/// <c>$disconnect</c>.
/// </summary>
internal sealed class ConnectionHandler(
    IOptions<SwitchboardOptions> options,
    RouteTable routes,
    RouteInvoker invoker,
    RouteEventFactory events,
    IConnectionRegistry registry,
    LocalConnections local,
    NodeIdentity node,
    TimeProvider time,
    SwitchboardMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<ConnectionHandler> logger)
{
    private readonly LimitsOptions _limits = options.Value.Limits;

    public async Task HandleAsync(HttpContext context)
    {
        if (WebSocketHandshake.Validate(context) is { } problem)
        {
            context.Response.StatusCode = problem.StatusCode;
            if (problem.StatusCode == StatusCodes.Status426UpgradeRequired)
            {
                context.Response.Headers.Upgrade = "websocket";
                context.Response.Headers.SecWebSocketVersion = "13";
            }

            await context.Response.WriteAsync(problem.Message, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        var now = time.GetUtcNow();
        var connectionId = ConnectionId.New();
        var sourceIp = FormatAddress(context.Connection.RemoteIpAddress);
        string? userAgent = context.Request.Headers.UserAgent.Count > 0 ? context.Request.Headers.UserAgent.ToString() : null;

        try
        {
            await registry.AddAsync(new ConnectionRecord(connectionId, node.Id, now, now, sourceIp, userAgent), context.RequestAborted).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException exception)
        {
            Log.RegistryUnavailableOnConnect(logger, exception);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        GatewayConnection? connection = null;
        try
        {
            var subProtocol = await RunConnectRouteAsync(context, connectionId, now, sourceIp, userAgent).ConfigureAwait(false);
            if (subProtocol is null)
            {
                return;
            }

            var stream = await WebSocketHandshake.AcceptAsync(context, subProtocol.Length == 0 ? null : subProtocol).ConfigureAwait(false);
            connection = new GatewayConnection(connectionId, now, sourceIp, userAgent, stream, _limits.MaxQueuedMessagesPerConnection, _limits.CloseTimeout, time, metrics);
            local.Add(connection);
            metrics.ConnectionOpened();
            Log.ConnectionOpened(logger, connectionId, sourceIp);

            var domainName = events.DomainNameFor(context.Request);
            var inFlight = new InFlightMessages(_limits.MaxInFlightMessagesPerConnection);
            // Aborting the connection aborts the HTTP connection under it, which ends the read loop through RequestAborted
            // (one registration instead of a linked token source per connection).
            int code;
            string reason;
            using (connection.Aborted.UnsafeRegister(static state => ((HttpContext)state!).Abort(), context))
            {
                (code, reason) = await ReadLoopAsync(connection, stream, domainName, inFlight, context.RequestAborted).ConfigureAwait(false);
            }

            // From here on every management call for this id answers 410; the entry stays in the local table
            // until $disconnect has run, so a graceful shutdown waits for it.
            connection.MarkEnded();
            metrics.ConnectionClosed();
            Log.ConnectionClosed(logger, connectionId, code, reason);
            await RemoveFromRegistryAsync(connectionId).ConfigureAwait(false);
            connection.Release();
            try
            {
                // $disconnect is the connection's last event: let its running messages finish first (each is bounded by its timeout).
                await inFlight.WaitIdleAsync(CancellationToken.None).ConfigureAwait(false);
                if (routes.Disconnect is { } disconnect)
                {
                    await invoker.InvokeAsync(disconnect, events.Disconnect(connection, domainName, code, reason, time.GetUtcNow()), CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                local.Remove(connection);
            }
        }
        finally
        {
            if (connection is null)
            {
                // $connect rejected or failed, or the handshake never completed: the id was never usable.
                await RemoveFromRegistryAsync(connectionId).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs <c>$connect</c>. Returns the subprotocol to accept ("" for none), or null when the handshake was
    /// refused and the response is already set: the integration's non-2xx status, 502 for a failed integration,
    /// 504 for a timed-out one.
    /// </summary>
    private async Task<string?> RunConnectRouteAsync(HttpContext context, string connectionId, DateTimeOffset now, string sourceIp, string? userAgent)
    {
        if (routes.Connect is not { } connect)
        {
            return "";
        }

        var result = await invoker.InvokeAsync(connect, events.Connect(context, connectionId, now, sourceIp, userAgent), context.RequestAborted).ConfigureAwait(false);
        int? refusal = result.Outcome switch
        {
            IntegrationOutcome.Failed => StatusCodes.Status502BadGateway,
            IntegrationOutcome.TimedOut => StatusCodes.Status504GatewayTimeout,
            _ when !result.Response!.IsSuccessStatusCode => result.Response.StatusCode,
            _ => null,
        };
        if (refusal is { } status)
        {
            Log.ConnectRejected(logger, connectionId, status);
            context.Response.StatusCode = status;
            return null;
        }

        return result.Response!.Headers is { } headers && headers.TryGetValue("Sec-WebSocket-Protocol", out var protocol) ? protocol : "";
    }

    /// <summary>Reads frames until the connection ends; returns the close code and reason for <c>$disconnect</c>.</summary>
    private async Task<(int Code, string Reason)> ReadLoopAsync(GatewayConnection connection, Stream stream, string domainName, InFlightMessages inFlight, CancellationToken requestAborted)
    {
        // Zero-byte reads: an idle connection holds no read buffer.
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        var reader = new WebSocketFrameReader(pipe, _limits.MaxFrameBytes, _limits.MaxMessageBytes);
        try
        {
            while (true)
            {
                var frame = await reader.ReadAsync(requestAborted).ConfigureAwait(false);
                switch (frame.Kind)
                {
                    case InboundFrameKind.Text:
                        connection.OnReceived(isData: true);
                        metrics.MessageIn();
                        if (!connection.IsClosing)
                        {
                            await inFlight.EnterAsync(requestAborted).ConfigureAwait(false);
                            _ = DispatchMessageAsync(connection, domainName, frame.Payload!, inFlight);
                        }

                        break;
                    case InboundFrameKind.Ping:
                        connection.OnReceived(isData: false);
                        connection.SendPong(frame.Payload!);
                        break;
                    case InboundFrameKind.Pong:
                        connection.OnReceived(isData: false);
                        break;
                    case InboundFrameKind.Close:
                        if (connection.ServerClose is { } initiated)
                        {
                            return (initiated.Code, initiated.DisconnectReason);
                        }

                        connection.TryEchoClose(frame.CloseCode);
                        await connection.CloseSent.ConfigureAwait(false);
                        return (frame.CloseCode, frame.CloseCode == CloseCodes.NoStatusReceived ? "Client-side close frame status not set" : frame.CloseReason ?? "");
                    case InboundFrameKind.Violation:
                        connection.TryBeginClose(new ServerClose(frame.CloseCode, frame.CloseReason!, frame.CloseReason!));
                        await connection.CloseSent.ConfigureAwait(false);
                        return Ended(connection);
                    default:
                        return Ended(connection);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return Ended(connection);
        }
        catch (IOException exception)
        {
            Log.ConnectionFaulted(logger, connection.Id, exception);
            return Ended(connection);
        }
        finally
        {
            await pipe.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static (int Code, string Reason) Ended(GatewayConnection connection) =>
        connection.ServerClose is { } close ? (close.Code, close.DisconnectReason) : (CloseCodes.AbnormalClosure, "Connection lost");

    private async Task DispatchMessageAsync(GatewayConnection connection, string domainName, byte[] body, InFlightMessages inFlight)
    {
        try
        {
            var now = time.GetUtcNow();
            var route = routes.Select(body);
            if (route is null)
            {
                var requestId = ConnectionId.New();
                Log.NoRoute(logger, connection.Id, requestId);
                connection.TrySend(ErrorFrame("Forbidden", connection.Id, requestId));
                return;
            }

            var routeEvent = events.Message(route.RouteKey, connection, domainName, body, now);
            var result = await invoker.InvokeAsync(route, routeEvent, CancellationToken.None).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case IntegrationOutcome.Failed:
                    connection.TrySend(ErrorFrame("Internal server error", connection.Id, routeEvent.RequestId));
                    break;
                case IntegrationOutcome.TimedOut:
                    connection.TrySend(ErrorFrame("Endpoint request timed out", connection.Id, routeEvent.RequestId));
                    break;
                case IntegrationOutcome.Succeeded when route.TwoWay && !string.IsNullOrEmpty(result.Response!.Body):
                    connection.TrySend(OutboundMessage.FromText(result.Response.Body));
                    break;
            }
        }
#pragma warning disable CA1031 // A bug in routing one message must not take the connection or the process down.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Log.UnexpectedConnectionError(logger, connection.Id, exception);
        }
        finally
        {
            inFlight.Exit();
        }
    }

    /// <summary>API Gateway's error frame, byte for byte (including its irregular spacing).</summary>
    internal static OutboundMessage ErrorFrame(string message, string connectionId, string requestId) =>
        OutboundMessage.FromText($"{{\"message\": \"{message}\", \"connectionId\":\"{connectionId}\", \"requestId\":\"{requestId}\"}}");

    private async Task RemoveFromRegistryAsync(string connectionId)
    {
        try
        {
            await registry.RemoveAsync(connectionId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException exception)
        {
            Log.RegistryRemoveFailed(logger, connectionId, exception);
        }
    }

    private static string FormatAddress(IPAddress? address) =>
        address is null ? "" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
}
