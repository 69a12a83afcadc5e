using Switchboard.Protocol;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Authorization;
using Switchboard.Configuration;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.RateLimiting;
using Switchboard.Registry;
using Switchboard.Routing;
using Switchboard.Security;
using Switchboard.Transport;

namespace Switchboard.Connections;

/// <summary>
/// A WebSocket connection's whole life, for a handshake from either path (the direct upgrade or the <c>/{stage}</c>
/// endpoint, which is here too): admission, registration, <c>$connect</c>, the 101, the read loop, the close and
/// <c>$disconnect</c>. Each text message goes to the <see cref="MessageDispatcher"/>.
/// </summary>
internal sealed class WebSocketSessionHandler(
    IOptions<SwitchboardOptions> options,
    RouteTableSource routes,
    RouteInvoker invoker,
    RouteEventFactory events,
    MessageDispatcher dispatcher,
    IConnectionRegistry registry,
    LocalConnections local,
    NodeIdentity node,
    TimeProvider time,
    SwitchboardMetrics metrics,
    NodeShutdown shutdown,
    AllowedHosts hosts,
    ConnectionBudget budget,
    HandshakeGate gate,
    GatewayRateLimits rateLimits,
    LimitsSource limits,
    ILogger<WebSocketSessionHandler> logger,
    ILoggerFactory loggers)
{
    /// <summary>One event when a connection opens and one when it closes, in a category of their own (<see cref="Log.ConnectionsCategory"/>).</summary>
    private readonly ILogger _connectionLog = loggers.CreateLogger(Log.ConnectionsCategory);

    private readonly ConnectionSettings _settings = new(limits, time, metrics);

    /// <summary>Handshakes admitted and not yet released: open connections plus those running <c>$connect</c>.</summary>
    private int _admitted;

    /// <summary>The connection limit is logged once a minute at most, not per refusal.</summary>
    private readonly LogThrottle _limitLog = new(time, LogThrottle.RefusalInterval);
    private readonly LogThrottle _memoryLog = new(time, LogThrottle.RefusalInterval);
    private readonly MemoryLimit _memory = new(time);
    private readonly SourceIpInterner _sourceIps = new();

    /// <summary>The <c>/{stage}</c> endpoint: handshakes that came through Kestrel's HTTP pipeline.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (!hosts.IsAllowed(context.Request.Headers.Host))
        {
            await RefuseHostAsync(context).ConfigureAwait(false);
            return;
        }

        var upgrade = new HttpContextUpgrade(context);
        if (WebSocketHandshake.Validate(upgrade.Request) is { } problem)
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

        await RunAsync(upgrade).ConfigureAwait(false);
    }

    /// <summary>
    /// 400, as ASP.NET Core's host filtering answers; the direct upgrade passes such handshakes on to this endpoint.
    /// </summary>
    internal static Task RefuseHostAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsync("Invalid Host header", context.RequestAborted);
    }

    /// <summary>
    /// Runs a valid handshake: <c>$connect</c>, the 101, the connection's messages, then <c>$disconnect</c>. One
    /// method for the connection's whole life, awaiting the pipe itself, so an idle connection waits in a single
    /// state machine.
    /// </summary>
    public async Task RunAsync(WebSocketUpgrade upgrade)
    {
        (GatewayConnection Connection, PipeReader Input, string DomainName)? opening;
        using (var handshake = SwitchboardActivities.StartHandshake(upgrade.Request))
        {
            try
            {
                opening = await OpenAsync(upgrade, SwitchboardActivities.HandshakeLink(handshake)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (upgrade.Aborted.IsCancellationRequested)
            {
                // The client left while $connect ran; OpenAsync has removed its registry entry.
                SwitchboardActivities.Failed(handshake, "client left during the handshake");
                return;
            }
        }

        if (opening is not { } opened)
        {
            return;
        }

        var (connection, input, domainName) = opened;
        // The in-flight bound is the connection's own for its life; the frame limits follow a reload from the next frame.
        var applied = limits.Current;
        var inFlight = new InFlightMessages(applied.MaxInFlightMessagesPerConnection);
        var frames = new WebSocketFrameReader(input, applied.MaxFrameBytes, applied.MaxMessageBytes, applied.MaxFramesPerMessage);
        var aborted = upgrade.ReadAborted;
        (int Code, string Reason)? ended = null;
        // GatewayConnection.Abort aborts the transport, which ends a pending read.
        try
        {
            while (ended is null)
            {
                var result = await input.ReadAsync(aborted).ConfigureAwait(false);
                if (limits.Current is var current && current != applied)
                {
                    applied = current;
                    frames.UseLimits(current.MaxFrameBytes, current.MaxMessageBytes, current.MaxFramesPerMessage);
                }

                if (!frames.TryRead(result, out var frame))
                {
                    continue;
                }

                switch (frame.Kind)
                {
                    case InboundFrameKind.Text:
                        connection.OnReceived(isData: true);
                        metrics.MessageReceived();
                        if (!connection.IsClosing && !GatewayRateLimits.TryTake(connection.MessageRate))
                        {
                            // Dropped unread by any integration; the client is told, as API Gateway tells a throttled one.
                            dispatcher.RefuseThrottled(connection);
                        }
                        else if (!connection.IsClosing)
                        {
                            // Only the payload lives across the await, so the connection's state machine stays small.
                            var body = frame.Payload!;
                            await inFlight.EnterAsync(aborted).ConfigureAwait(false);
                            _ = dispatcher.DispatchAsync(connection, domainName, body, inFlight);
                        }

                        break;
                    case InboundFrameKind.Ping:
                        connection.OnReceived(isData: false);
                        connection.SendPong(frame.Payload!);
                        break;
                    case InboundFrameKind.Pong:
                        connection.OnReceived(isData: false);
                        break;
                    default:
                        ended = await FinishReadingAsync(connection, frame).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (OperationCanceledException)
        {
            ended = Ended(connection);
        }
        catch (IOException exception)
        {
            Log.ConnectionFaulted(logger, connection.Id, exception);
            ended = Ended(connection);
        }
        finally
        {
            await upgrade.CompleteAsync().ConfigureAwait(false);
        }

        await CloseAsync(connection, inFlight, domainName, ended.Value.Code, ended.Value.Reason).ConfigureAwait(false);
    }

    /// <summary>
    /// Registers the connection, runs <c>$connect</c> and completes the handshake; null when the handshake was
    /// refused (the answer is sent) or the client went away. The handshake request is released on success.
    /// </summary>
    private async Task<(GatewayConnection Connection, PipeReader Input, string DomainName)?> OpenAsync(WebSocketUpgrade upgrade, System.Diagnostics.ActivityLink[]? handshakeLink)
    {
        if (shutdown.HasBegun)
        {
            metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.ShuttingDown);
            await RefuseAsync(upgrade, StatusCodes.Status503ServiceUnavailable).ConfigureAwait(false);
            return null;
        }

        // Before anything else, so that a refused handshake costs no registry write and no integration call.
        var request = upgrade.Request;
        var (client, refusal) = gate.Check(request);
        if (refusal is { } status)
        {
            metrics.ConnectionRefused(status == StatusCodes.Status403Forbidden ? SwitchboardMetrics.RefusalReasons.Origin : SwitchboardMetrics.RefusalReasons.RateLimited);
            await RefuseAsync(upgrade, status).ConfigureAwait(false);
            return null;
        }

        if (!TryAdmit())
        {
            metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.Capacity);
            await RefuseAsync(upgrade, StatusCodes.Status503ServiceUnavailable).ConfigureAwait(false);
            return null;
        }

        if (IsMemoryNearlyUsedUp())
        {
            ReleaseAdmission();
            metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.Memory);
            await RefuseAsync(upgrade, StatusCodes.Status503ServiceUnavailable).ConfigureAwait(false);
            return null;
        }

        var now = time.GetUtcNow();
        var connectionId = ConnectionId.New();
        SwitchboardActivities.TagHandshake(SwitchboardActivities.ConnectionIdTag, connectionId);
        var sourceIp = _sourceIps.Intern(client.Address);
        string? userAgent = request.Headers.UserAgent.Count > 0 ? request.Headers.UserAgent.ToString() : null;

        // One table for the whole handshake: a reload while it runs never pairs one snapshot's authorizer with another's
        // $connect (or its stage variables).
        using var lease = routes.Acquire();
        var table = lease.Table;

        // Before the registry write too: a refused caller costs no write, and nothing can reach the id before the 101.
        AuthorizerContext? authorizer = null;
        if (table.ConnectAuthorization is { } authorization)
        {
            AuthorizerDecision decision;
            try
            {
                decision = await authorization.AuthorizeAsync(
                    new AuthorizationRequest(request, client, connectionId, now, sourceIp, userAgent, options.Value.ApiId, options.Value.Stage),
                    upgrade.Aborted).ConfigureAwait(false);
            }
            catch
            {
                ReleaseAdmission();
                throw;
            }

            if (decision.RefusalStatus is { } authorizerStatus)
            {
                ReleaseAdmission();
                metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.Unauthorized);
                await RefuseAsync(upgrade, authorizerStatus).ConfigureAwait(false);
                return null;
            }

            authorizer = decision.Context;
        }

        try
        {
            // Not cancelled when the client leaves: the insert is queued either way, and a caller that stopped waiting
            // for it could not remove the row it leaves behind.
            await registry.AddAsync(new ConnectionRecord(connectionId, node.Id, now, now, sourceIp, userAgent), CancellationToken.None).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException exception)
        {
            ReleaseAdmission();
            Log.RegistryUnavailableOnConnect(logger, exception);
            metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.RegistryUnavailable);
            await RefuseAsync(upgrade, StatusCodes.Status503ServiceUnavailable).ConfigureAwait(false);
            return null;
        }

        var opened = false;
        var removed = false;
        try
        {
            var (connectRefusal, subProtocol) = await RunConnectRouteAsync(table, upgrade, client, connectionId, now, sourceIp, userAgent, authorizer).ConfigureAwait(false);
            if (connectRefusal is { } refusalStatus)
            {
                // Out of the registry before the client hears of the refusal: nothing that follows the answer finds the id.
                await RemoveFromRegistryAsync(connectionId).ConfigureAwait(false);
                removed = true;
                metrics.ConnectionRefused(SwitchboardMetrics.RefusalReasons.ConnectRoute);
                await RefuseAsync(upgrade, refusalStatus).ConfigureAwait(false);
                return null;
            }

            var domainName = events.DomainNameFor(request);
            // In the local table before the 101 goes out, so that no management call can find it missing once the
            // client is connected; its writer starts after the 101.
            var connection = new GatewayConnection(connectionId, now, sourceIp, userAgent, upgrade, _settings) { MessageRate = rateLimits.NewMessageLimiter(), Authorizer = authorizer, HandshakeLink = handshakeLink };
            local.Add(connection);
            PipeReader input;
            try
            {
                (input, var output) = await upgrade.AcceptAsync(subProtocol.Length == 0 ? null : subProtocol).ConfigureAwait(false);
                connection.Start(output);
            }
            catch (Exception exception)
            {
                connection.MarkEnded();
                connection.Release();
                local.Remove(connection);
                if (exception is IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // The client left before its 101 could be written: an ordinary end, not a server error.
                    Log.ConnectionFaulted(logger, connectionId, exception);
                    return null;
                }

                throw;
            }

            upgrade.ReleaseRequest();
            SwitchboardActivities.HandshakeAnswered(StatusCodes.Status101SwitchingProtocols);
            opened = true;
            metrics.ConnectionOpened();
            Log.ConnectionOpened(_connectionLog, connectionId, sourceIp);
            return (connection, input, domainName);
        }
        finally
        {
            if (!opened)
            {
                // $connect refused or failed, or the handshake never completed: the id was never usable.
                ReleaseAdmission();
                if (!removed)
                {
                    await RemoveFromRegistryAsync(connectionId).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>After the socket closed: runs <c>$disconnect</c> as the connection's last event, then unregisters it.</summary>
    private async Task CloseAsync(GatewayConnection connection, InFlightMessages inFlight, string domainName, int code, string reason)
    {
        // From here on every management call for this id answers 410 (here at once; other nodes learn it from this
        // node); the entry stays in the local table until $disconnect has run, so a graceful shutdown waits for it.
        connection.MarkEnded();
        metrics.ConnectionClosed(code);
        Log.ConnectionClosed(_connectionLog, connection.Id, connection.SourceIp, _settings.ClockMs() - connection.ConnectedMs, code, reason);
        connection.Release();
        try
        {
            // $disconnect is the connection's last event: let its running messages finish first (each is bounded by its timeout).
            await inFlight.WaitIdleAsync(CancellationToken.None).ConfigureAwait(false);
            using var lease = routes.Acquire();
            if (lease.Table.Disconnect is { } disconnect)
            {
                await invoker.InvokeAsync(disconnect, events.Disconnect(connection, domainName, code, reason, time.GetUtcNow(), lease.Table.StageVariables), CancellationToken.None, connection.HandshakeLink).ConfigureAwait(false);
            }
        }
        finally
        {
            // Only now: while the entry is in the registry, a crash of this process (or the loss of this node) still
            // owes the connection its $disconnect — the registry's outbox sends it — so it is never lost in between.
            await RemoveFromRegistryAsync(connection.Id).ConfigureAwait(false);
            local.Remove(connection);
            ReleaseAdmission();
        }
    }

    /// <summary>Counts a handshake against <see cref="ConnectionBudget.MaxConnections"/>; false (and a warning once) when the node is full.</summary>
    private bool TryAdmit()
    {
        if (Interlocked.Increment(ref _admitted) <= budget.MaxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _admitted);
        if (_limitLog.TryEnter(out var suppressed))
        {
            Log.ConnectionLimitReached(logger, budget.MaxConnections, suppressed);
        }

        return false;
    }

    private void ReleaseAdmission() => Interlocked.Decrement(ref _admitted);

    /// <summary>
    /// True (and a warning once a minute) while the heap is at its high-water mark (<see cref="MemoryLimit"/>): the connection cap
    /// assumes a typical connection's size, and connections that hold more (messages in flight, queues) can fill the
    /// heap below it; a new connection then is refused rather than risk the process.
    /// </summary>
    private bool IsMemoryNearlyUsedUp()
    {
        if (!_memory.IsHigh)
        {
            return false;
        }

        if (_memoryLog.TryEnter(out var suppressed))
        {
            const long MiB = 1024 * 1024;
            Log.MemoryLimitReached(logger, _memory.InUseBytes / MiB, _memory.HighWaterBytes / MiB, MemoryLimit.HighWaterPercent, MemoryLimit.AvailableBytes / MiB, suppressed);
        }

        return true;
    }

    /// <summary>Refuses the handshake, recording the status on its span.</summary>
    private static ValueTask RefuseAsync(WebSocketUpgrade upgrade, int statusCode)
    {
        SwitchboardActivities.HandshakeAnswered(statusCode);
        return upgrade.RefuseAsync(statusCode);
    }

    /// <summary>
    /// Runs <c>$connect</c>: the subprotocol to accept ("" for none) or the status to refuse the handshake with, which
    /// the caller sends.
    /// </summary>
    private async Task<ConnectDecision> RunConnectRouteAsync(RouteTable table, WebSocketUpgrade upgrade, ClientEndpoint client, string connectionId, DateTimeOffset now, string sourceIp, string? userAgent, AuthorizerContext? authorizer)
    {
        if (table.Connect is not { } connect)
        {
            return new ConnectDecision(null, "");
        }

        var connectEvent = events.Connect(upgrade.Request, client, connectionId, now, sourceIp, userAgent, authorizer, table.StageVariables);
        SwitchboardActivities.TagHandshake(SwitchboardActivities.RequestIdTag, connectEvent.RequestId);
        var result = await invoker.InvokeAsync(connect, connectEvent, upgrade.Aborted).ConfigureAwait(false);
        var decision = ConnectDecision.For(result);
        if (decision.RefusalStatus is { } status)
        {
            Log.ConnectRejected(logger, connectionId, status);
        }

        return decision;
    }

    /// <summary>A close frame, a protocol violation or the end of the stream: completes the close; returns the code and reason for <c>$disconnect</c>.</summary>
    private static async Task<(int Code, string Reason)> FinishReadingAsync(GatewayConnection connection, InboundFrame frame)
    {
        switch (frame.Kind)
        {
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

    private static (int Code, string Reason) Ended(GatewayConnection connection) =>
        connection.ServerClose is { } close ? (close.Code, close.DisconnectReason) : (CloseCodes.AbnormalClosure, "Connection lost");

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
}
