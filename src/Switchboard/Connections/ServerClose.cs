namespace Switchboard.Connections;

/// <summary>Why the gateway closed a connection: what the client's close frame says and what <c>$disconnect</c> reports.</summary>
/// <param name="Code">The close code sent and reported as <c>disconnectStatusCode</c>.</param>
/// <param name="FrameReason">The reason in the close frame.</param>
/// <param name="DisconnectReason">The <c>disconnectReason</c> of the <c>$disconnect</c> event.</param>
internal sealed record ServerClose(int Code, string FrameReason, string DisconnectReason);
