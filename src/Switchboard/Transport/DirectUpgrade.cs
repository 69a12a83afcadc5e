using Switchboard.Protocol;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace Switchboard.Transport;

/// <summary>
/// A handshake answered on the raw connection by <see cref="DirectUpgradeMiddleware"/>: after the 101 the gateway
/// reads and writes the transport's pipes itself, and no HTTP request state stays allocated for the connection.
/// </summary>
internal sealed class DirectUpgrade(ConnectionContext connection, UpgradeRequest request) : WebSocketUpgrade(request)
{
    public override CancellationToken Aborted => connection.ConnectionClosed;

    /// <summary>
    /// None: the transport completes its input pipe when the connection closes or is aborted, which ends a pending
    /// read anyway, and a token would hold a registration per idle connection.
    /// </summary>
    public override CancellationToken ReadAborted => CancellationToken.None;

    public override void Abort() => connection.Abort();

    public override async ValueTask RefuseAsync(int statusCode)
    {
        // The middleware returns after this and Kestrel closes the connection, so the answer says so.
        var head = $"HTTP/1.1 {statusCode} {ReasonPhrases.GetReasonPhrase(statusCode)}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
    }

    public override async ValueTask<(PipeReader Input, Stream Output)> AcceptAsync(string? subProtocol)
    {
        var accept = WebSocketHandshake.ComputeAccept(Request.Headers.SecWebSocketKey.ToString());
        var protocolLine = string.IsNullOrEmpty(subProtocol) ? "" : $"Sec-WebSocket-Protocol: {subProtocol}\r\n";
        var head = $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {accept}\r\n{protocolLine}\r\n";
        // Without TLS in between, frames go straight to the socket (the 101 too, so nothing can overtake it);
        // otherwise through the transport's pipe, which the TLS layer reads.
        var output = connection.Features.Get<ITlsHandshakeFeature>() is null && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket
            ? new SocketSendStream(socket)
            : connection.Transport.Output.AsStream(leaveOpen: true);
        await output.WriteAsync(Encoding.ASCII.GetBytes(head)).ConfigureAwait(false);
        return (connection.Transport.Input, output);
    }
}
