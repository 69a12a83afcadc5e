namespace Switchboard.Management;

/// <summary>The outcome of <see cref="ConnectionManager.PostAsync"/>, mapped to API Gateway's status codes by the HTTP endpoint.</summary>
public enum PostResult
{
    /// <summary>Handed to the connection's outbound queue on its owning node (200).</summary>
    Delivered,

    /// <summary>The connection is not open (410 GoneException).</summary>
    Gone,

    /// <summary>The payload exceeds the post limit (413 PayloadTooLargeException).</summary>
    PayloadTooLarge,

    /// <summary>The connection's outbound queue is full (429 LimitExceededException).</summary>
    LimitExceeded,

    /// <summary>
    /// The node that holds the connection did not answer in time: the message may or may not be queued
    /// (503 ServiceUnavailableException; SDKs retry it).
    /// </summary>
    Unknown,
}
