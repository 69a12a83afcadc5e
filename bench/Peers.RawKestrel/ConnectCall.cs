using System.Buffers;
using System.Net;
using System.Text.Json;

namespace Peers.RawKestrel;

/// <summary>
/// The raw peer's counterpart of a gateway's HTTP <c>$connect</c> integration (the harness's <c>raw-http-connect</c>
/// server): before accepting a WebSocket, POST a small JSON event about the request to <c>ConnectCall</c> and accept
/// only if it answers 200. One <see cref="HttpClient"/> over a default <see cref="SocketsHttpHandler"/> (keep-alive,
/// pooled connections) — what a hand-written server would do.
/// </summary>
internal sealed class ConnectCall(Uri backend)
{
    private readonly HttpClient _client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), UseCookies = false, AllowAutoRedirect = false })
    {
        Timeout = TimeSpan.FromSeconds(29),
    };

    public async Task<bool> AllowsAsync(HttpContext context)
    {
        var body = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("routeKey", "$connect");
            json.WriteString("connectionId", Guid.NewGuid().ToString("N"));
            json.WriteString("sourceIp", context.Connection.RemoteIpAddress?.ToString());
            json.WriteStartObject("headers");
            foreach (var header in context.Request.Headers)
            {
                json.WriteString(header.Key, header.Value.ToString());
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        using var content = new ReadOnlyMemoryContent(body.WrittenMemory);
        content.Headers.ContentType = new("application/json");
        using var response = await _client.PostAsync(backend, content, context.RequestAborted);
        await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
        return response.StatusCode == HttpStatusCode.OK;
    }
}
