using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Peers.RawKestrel;

/// <summary>
/// Open sockets by id, and what the harness needs of a server: echo and whoami actions, post to one, broadcast to all.
/// Broadcast starts a <see cref="WebSocket.SendAsync(ReadOnlyMemory{byte}, WebSocketMessageType, bool, CancellationToken)"/>
/// per socket without waiting for each (ManagedWebSocket serializes sends of one socket itself), so a slow client
/// delays nobody — but its pending sends, and their payload references, pile up without bound.
/// </summary>
internal sealed class SocketRegistry(ConnectCall? connectCall = null)
{
    private static readonly byte[] ActionProperty = "action"u8.ToArray();
    private readonly ConcurrentDictionary<string, WebSocket> _sockets = new(StringComparer.Ordinal);

    public int Count => _sockets.Count;

    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        if (connectCall is not null && !await connectCall.AllowsAsync(context))
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var id = NewId();
        _sockets[id] = socket;
        try
        {
            await ReceiveLoopAsync(id, socket);
        }
        catch (WebSocketException)
        {
            // The peer went away without a close handshake.
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _sockets.TryRemove(id, out _);
        }
    }

    public async Task<IResult> PostAsync(string connectionId, HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        if (!_sockets.TryGetValue(connectionId, out var socket))
        {
            return Results.StatusCode(StatusCodes.Status410Gone);
        }

        try
        {
            await socket.SendAsync(body, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return Results.StatusCode(StatusCodes.Status410Gone);
        }

        return Results.Ok();
    }

    public async Task<IResult> BroadcastAsync(HttpRequest request)
    {
        var body = await ReadBodyAsync(request);
        var recipients = Broadcast(body);
        return Results.Text($"{{\"recipients\":{recipients}}}", "application/json");
    }

    private int Broadcast(ReadOnlyMemory<byte> message)
    {
        var recipients = 0;
        foreach (var (_, socket) in _sockets)
        {
            var send = socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            if (!send.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(send);
            }

            recipients++;
        }

        return recipients;
    }

    private async Task ReceiveLoopAsync(string id, WebSocket socket)
    {
        while (true)
        {
            // A zero-byte read first, so an idle connection holds no receive buffer.
            var ready = await socket.ReceiveAsync(Memory<byte>.Empty, CancellationToken.None);
            if (ready.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(4096);
            try
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    if (length == buffer.Length)
                    {
                        var grown = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                        buffer.AsSpan(0, length).CopyTo(grown);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = grown;
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                await HandleAsync(id, socket, buffer.AsMemory(0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        if (socket.State == WebSocketState.CloseReceived)
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
    }

    private async ValueTask HandleAsync(string id, WebSocket socket, ReadOnlyMemory<byte> message)
    {
        switch (ReadAction(message.Span))
        {
            case "echo":
                await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                break;
            case "whoami":
                await socket.SendAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"whoami\",\"connectionId\":\"{id}\"}}"), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                break;
            case "sendmessage":
                Broadcast(message.ToArray());
                break;
        }
    }

    /// <summary>The top-level "action" string of a JSON message, as route selection would read it; null otherwise.</summary>
    private static string? ReadAction(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isAction = reader.ValueTextEquals(ActionProperty);
                reader.Read();
                if (isAction)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static async Task ObserveAsync(ValueTask send)
    {
        try
        {
            await send;
        }
        catch (Exception)
        {
            // A socket that fails is removed by its own receive loop.
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request)
    {
        if (request.ContentLength is { } length and <= 1024 * 1024)
        {
            var body = new byte[length];
            await request.Body.ReadExactlyAsync(body);
            return body;
        }

        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy);
        return copy.ToArray();
    }

    private static string NewId()
    {
        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
    }
}
