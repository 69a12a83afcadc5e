using System.Net.WebSockets;
using System.Text;

namespace Switchboard.Testing;

/// <summary>A client WebSocket with test-friendly receive methods. Every wait is bounded so a broken feature fails instead of hanging.</summary>
public sealed class TestClient(ClientWebSocket socket) : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public ClientWebSocket Socket => socket;

    public Task SendTextAsync(string text) => socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Receives one whole message; throws on close or timeout.</summary>
    public async Task<string> ReceiveTextAsync(TimeSpan? timeout = null)
    {
        var (type, payload) = await ReceiveAsync(timeout);
        if (type == WebSocketMessageType.Close)
        {
            throw new InvalidOperationException($"Expected a message but the server closed: {socket.CloseStatus} {socket.CloseStatusDescription}");
        }

        return Encoding.UTF8.GetString(payload);
    }

    /// <summary>Receives one whole message or the close frame.</summary>
    public async Task<(WebSocketMessageType Type, byte[] Payload)> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellation.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (WebSocketMessageType.Close, []);
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, message.ToArray());
            }
        }
    }

    /// <summary>Reads until the server's close frame arrives, skipping messages; returns its code and reason.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Reason)> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var (type, _) = await ReceiveAsync(timeout);
            if (type == WebSocketMessageType.Close)
            {
                return (socket.CloseStatus, socket.CloseStatusDescription);
            }
        }
    }

    public Task CloseAsync(WebSocketCloseStatus status = WebSocketCloseStatus.NormalClosure, string reason = "bye") =>
        socket.CloseAsync(status, reason, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            try
            {
                using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", cancellation.Token);
            }
            catch (Exception exception) when (exception is WebSocketException or OperationCanceledException)
            {
            }
        }

        socket.Dispose();
    }
}
