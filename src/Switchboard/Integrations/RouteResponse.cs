namespace Switchboard.Integrations;

/// <summary>
/// What a backend returns: the Lambda-proxy result shape (<c>statusCode</c>, <c>headers</c>, <c>body</c>).
/// On <c>$connect</c> a non-2xx status rejects the handshake with that status and a
/// <c>Sec-WebSocket-Protocol</c> header selects the subprotocol; on two-way routes the body is sent
/// to the client; otherwise it is discarded, as on API Gateway.
/// </summary>
public sealed record RouteResponse
{
    /// <summary>An empty 200 response.</summary>
    public static readonly RouteResponse Ok = new();

    /// <summary>The status code; 200 when the backend named none.</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>The body; sent to the client on two-way routes when not null or empty.</summary>
    public string? Body { get; init; }

    /// <summary>Response headers; only <c>Sec-WebSocket-Protocol</c> on <c>$connect</c> has an effect.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>True for 2xx status codes.</summary>
    public bool IsSuccessStatusCode => StatusCode is >= 200 and <= 299;

    /// <summary>A 200 response with a body (for two-way routes).</summary>
    public static RouteResponse WithBody(string body) => new() { Body = body };

    /// <summary>A response with only a status code.</summary>
    public static RouteResponse WithStatus(int statusCode) => new() { StatusCode = statusCode };
}
