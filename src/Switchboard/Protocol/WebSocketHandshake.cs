using Switchboard.Transport;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Switchboard.Protocol;

/// <summary>The server side of the RFC 6455 opening handshake over HTTP/1.1 (section 4.2).</summary>
internal static class WebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Why a request cannot be upgraded, as an HTTP answer; null when it can.</summary>
    public static (int StatusCode, string Message)? Validate(UpgradeRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) || !request.IsUpgradable || !ContainsToken(request.Headers.Upgrade, "websocket"))
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

    /// <summary>The <c>Sec-WebSocket-Accept</c> value for a client's <c>Sec-WebSocket-Key</c>.</summary>
    internal static string ComputeAccept(string key)
    {
        Span<byte> hash = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 for Sec-WebSocket-Accept; it is not used for security.
        SHA1.HashData(Encoding.ASCII.GetBytes(key.Trim() + AcceptGuid), hash);
#pragma warning restore CA5350
        return Convert.ToBase64String(hash);
    }

    /// <summary>True when a comma-separated header holds <paramref name="token"/> (case-insensitive), as <c>Connection: keep-alive, Upgrade</c> holds <c>upgrade</c>.</summary>
    internal static bool ContainsToken(StringValues values, string token)
    {
        foreach (var value in values)
        {
            var text = (value ?? "").AsSpan();
            foreach (var part in text.Split(','))
            {
                if (text[part].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsValidKey(string? key)
    {
        Span<byte> decoded = stackalloc byte[16];
        return key is { Length: 24 } && Convert.TryFromBase64String(key, decoded, out var written) && written == 16;
    }
}
