using System.Net.WebSockets;
using System.Text.Json;

namespace Switchboard.Testing;

/// <summary>Clients of a <see cref="ServerProcess"/> running the demo API (demo-api.json).</summary>
public static class ServerProcessClients
{
    /// <summary>http://127.0.0.1:port/stage — the management endpoint.</summary>
    public static string ManagementEndpoint(this ServerProcess server, string stage = "production") => $"http://127.0.0.1:{server.Port}/{stage}";

    /// <summary>Opens a WebSocket to ws://127.0.0.1:port/stage.</summary>
    public static async Task<TestClient> ConnectAsync(this ServerProcess server, string stage = "production")
    {
        var socket = new ClientWebSocket();
        using var cancellation = new CancellationTokenSource(TestClient.DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/{stage}"), cancellation.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new TestClient(socket);
    }

    /// <summary>Asks the demo's <c>whoami</c> route for the client's connection id.</summary>
    public static async Task<string> WhoAmIAsync(this TestClient client)
    {
        await client.SendTextAsync("{\"action\":\"whoami\"}");
        using var reply = JsonDocument.Parse(await client.ReceiveTextAsync());
        return reply.RootElement.GetProperty("connectionId").GetString()!;
    }

    /// <summary>Every connection id the gateway lists, following <c>nextToken</c>.</summary>
    public static async Task<List<string>> ListAllIdsAsync(HttpClient http, string managementEndpoint)
    {
        var ids = new List<string>();
        string? nextToken = null;
        do
        {
            var url = $"{managementEndpoint}/@connections?limit=1000" + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken));
            using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri(url)));
            ids.AddRange(document.RootElement.GetProperty("items").EnumerateArray().Select(item => item.GetProperty("connectionId").GetString()!));
            var token = document.RootElement.GetProperty("nextToken");
            nextToken = token.ValueKind == JsonValueKind.String ? token.GetString() : null;
        }
        while (nextToken is not null);

        return ids;
    }
}
