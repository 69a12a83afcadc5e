namespace Switchboard.Protocol;

/// <summary>What the frame reader hands the connection loop.</summary>
internal enum InboundFrameKind
{
    /// <summary>A complete text message (all fragments, validated UTF-8).</summary>
    Text,

    /// <summary>A ping; answer it with a pong carrying <see cref="InboundFrame.Payload"/>.</summary>
    Ping,

    /// <summary>A pong.</summary>
    Pong,

    /// <summary>The peer's close frame.</summary>
    Close,

    /// <summary>The peer broke a rule; close with <see cref="InboundFrame.CloseCode"/>.</summary>
    Violation,

    /// <summary>The TCP stream ended without a close frame.</summary>
    EndOfStream,
}

/// <summary>One event read from a client's stream.</summary>
/// <param name="Kind">What arrived.</param>
/// <param name="Payload">The message (Text) or ping payload (Ping); an array of exactly the payload's length.</param>
/// <param name="CloseCode">The peer's close code (Close; 1005 when it sent none) or the code to close with (Violation).</param>
/// <param name="CloseReason">The peer's close reason (Close) or why the gateway closes (Violation).</param>
internal readonly record struct InboundFrame(InboundFrameKind Kind, byte[]? Payload = null, int CloseCode = 0, string? CloseReason = null)
{
    public static InboundFrame Violate(int code, string reason) => new(InboundFrameKind.Violation, null, code, reason);
}
