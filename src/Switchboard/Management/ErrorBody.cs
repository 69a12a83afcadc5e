namespace Switchboard.Management;

/// <summary>
/// The body of a management error that carries a message (400, 413, 503): <c>{"message":"…"}</c>. The error's type is
/// in the <c>x-amzn-ErrorType</c> header; 403, 410 and a full client queue's 429 have no body, as on API Gateway, while a
/// throttled call's 429 says "Too Many Requests".
/// </summary>
/// <param name="Message">Human-readable text.</param>
public sealed record ErrorBody(string Message);
