using System.IO.Pipelines;

namespace Switchboard.Transport;

/// <summary>
/// One WebSocket opening handshake in progress, whichever layer received it, and once accepted the byte streams of
/// the connection. <see cref="HttpContextUpgrade"/> goes through Kestrel's HTTP pipeline (the <c>/{stage}</c>
/// endpoint); <see cref="DirectUpgrade"/> answers on the raw connection (<see cref="DirectUpgradeMiddleware"/>).
/// </summary>
internal abstract class WebSocketUpgrade(UpgradeRequest request)
{
    private UpgradeRequest? _request = request;

    /// <summary>The handshake request; only until <see cref="ReleaseRequest"/>.</summary>
    public UpgradeRequest Request => _request ?? throw new InvalidOperationException("The handshake request was released when the connection opened.");

    /// <summary>Cancelled when the client's connection is gone.</summary>
    public abstract CancellationToken Aborted { get; }

    /// <summary>The token the read loop passes to the input pipe: <see cref="Aborted"/> unless the pipe ends by itself.</summary>
    public virtual CancellationToken ReadAborted => Aborted;

    /// <summary>Drops the request once the connection is open, so an idle connection does not hold its handshake headers.</summary>
    public void ReleaseRequest() => _request = null;

    /// <summary>Ends the underlying connection at once.</summary>
    public abstract void Abort();

    /// <summary>Refuses the handshake with an HTTP status and no body.</summary>
    public abstract ValueTask RefuseAsync(int statusCode);

    /// <summary>Sends <c>101 Switching Protocols</c>; returns what the client's frames are read from and where the server's are written.</summary>
    public abstract ValueTask<(PipeReader Input, Stream Output)> AcceptAsync(string? subProtocol);

    /// <summary>Releases what <see cref="AcceptAsync"/> created, after the read loop ended.</summary>
    public virtual ValueTask CompleteAsync() => default;
}
