using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Switchboard.Transport;

/// <summary>The server side of the RFC 6455 opening handshake over HTTP/1.1.</summary>
internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Why a request cannot be upgraded, as an HTTP answer; null when it can.</summary>
    public static (int StatusCode, string Message)? Validate(HttpContext context)
    {
        var request = context.Request;
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (!HttpMethods.IsGet(request.Method) || upgrade is not { IsUpgradableRequest: true }
            || !ContainsToken(request.Headers.Upgrade, "websocket"))
        {
            return (StatusCodes.Status426UpgradeRequired, "This endpoint accepts WebSocket connections only (send an HTTP/1.1 Upgrade: websocket request).");
        }

        if (request.Headers.SecWebSocketVersion != "13")
        {
            return (StatusCodes.Status426UpgradeRequired, "Unsupported WebSocket version; this server speaks version 13.");
        }

        if (!IsValidKey(request.Headers.SecWebSocketKey))
        {
            return (StatusCodes.Status400BadRequest, "Missing or malformed Sec-WebSocket-Key header.");
        }

        return null;
    }

    /// <summary>Sends 101 Switching Protocols and returns the raw duplex stream.</summary>
    public static Task<Stream> AcceptAsync(HttpContext context, string? subProtocol)
    {
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = ComputeAccept(context.Request.Headers.SecWebSocketKey.ToString());
        if (!string.IsNullOrEmpty(subProtocol))
        {
            headers.SecWebSocketProtocol = subProtocol;
        }

        return context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync();
    }

    /// <summary>Subprotocols the client offered, in order.</summary>
    public static IReadOnlyList<string> OfferedSubProtocols(HttpRequest request) =>
        request.Headers.SecWebSocketProtocol
            .SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    internal static string ComputeAccept(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 for Sec-WebSocket-Accept; it is not used for security.
        SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid), hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    private static bool IsValidKey(string? key)
    {
        Span<byte> decoded = stackalloc byte[16];
        return key is { Length: 24 } && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }

    private static bool ContainsToken(Microsoft.Extensions.Primitives.StringValues values, string token) =>
        values.Any(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries)
            .Any(part => part.Equals(token, StringComparison.OrdinalIgnoreCase)));
}
