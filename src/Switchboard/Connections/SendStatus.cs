namespace Switchboard.Connections;

/// <summary>What became of a message handed to a connection.</summary>
public enum SendStatus
{
    /// <summary>The message is in the connection's outbound queue and will be written in order.</summary>
    Queued,

    /// <summary>The connection is not open (closed, closing, unknown, or still inside <c>$connect</c>).</summary>
    Gone,

    /// <summary>The connection's outbound queue is full: the client is not reading fast enough.</summary>
    QueueFull,

    /// <summary>
    /// The node that holds the connection did not answer in time: the message may or may not be queued. Only a
    /// backplane answers this, never a connection (503 on the management API).
    /// </summary>
    Unknown,
}
