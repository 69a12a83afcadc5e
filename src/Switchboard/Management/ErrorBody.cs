namespace Switchboard.Management;

/// <summary>
/// The body of a management error that carries a message (400, 413, 503): <c>{"message":"…"}</c>. The error's type is
/// in the <c>x-amzn-ErrorType</c> header; 403, 410 and 429 have no body, as on API Gateway.
/// </summary>
/// <param name="Message">Human-readable text.</param>
public sealed record ErrorBody(string Message);
