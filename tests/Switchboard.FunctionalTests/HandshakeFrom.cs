using System.Net;
using System.Net.Sockets;
using System.Text;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// A bare WebSocket handshake from a chosen loopback address (127.0.0.x: on Linux the whole 127/8 network is this
/// machine), so the gateway sees different client addresses without any forwarded header.
/// </summary>
internal static class HandshakeFrom
{
    /// <summary>Sends one handshake from <paramref name="local"/> and returns the response's status; the socket is closed after it.</summary>
    public static async Task<int> StatusAsync(Uri webSocketUri, IPAddress local, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        using var cancellation = new CancellationTokenSource(TestClient.DefaultTimeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        socket.Bind(new IPEndPoint(local, 0));
        await socket.ConnectAsync(webSocketUri.Host, webSocketUri.Port, cancellation.Token);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(RawWebSocketClient.HandshakeRequest(webSocketUri, headers), cancellation.Token);
        var head = new StringBuilder();
        var buffer = new byte[1024];
        while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellation.Token);
            if (read == 0)
            {
                throw new IOException($"The gateway closed the connection before answering; got: {head}");
            }

            head.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        // "HTTP/1.1 429 Too Many Requests"
        return int.Parse(head.ToString().AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture);
    }
}
