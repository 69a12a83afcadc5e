namespace Switchboard.Backplane;

/// <summary>What became of a request to close a connection (DeleteConnection).</summary>
public enum DisconnectStatus
{
    /// <summary>The node that holds the connection has begun closing it with 1000; <c>$disconnect</c> follows.</summary>
    Closing,

    /// <summary>The node addressed does not hold the connection open (closed, closing already, or never there).</summary>
    Gone,

    /// <summary>
    /// The node that holds the connection did not answer in time: it may or may not be closing it. Only a backplane
    /// answers this (503 on the management API).
    /// </summary>
    Unknown,
}
