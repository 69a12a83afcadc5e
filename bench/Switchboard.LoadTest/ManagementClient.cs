using System.Net;
using System.Text.Json;

namespace Switchboard.LoadTest;

/// <summary>The management calls the harness makes (the same paths on every server), over pooled keep-alive connections.</summary>
internal sealed class ManagementClient : IDisposable
{
    private readonly HttpClient _http;

    public ManagementClient(int port, int maxConnections, HarnessTls? tls)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (tls is not null)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = tls.Validate;
        }

        _http = new HttpClient(handler) { BaseAddress = new Uri($"{(tls is null ? "http" : "https")}://127.0.0.1:{port}/production/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task<int?> TryGetConnectionCountAsync()
    {
        try
        {
            using var response = await _http.GetAsync("@stats");
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            return document.RootElement.GetProperty("connections").GetInt32();
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    /// <summary>Pages through GET @connections (Switchboard only) and counts the ids.</summary>
    public async Task<int> CountListedAsync()
    {
        var count = 0;
        string? token = null;
        do
        {
            var uri = token is null ? "@connections?limit=1000" : $"@connections?limit=1000&nextToken={Uri.EscapeDataString(token)}";
            using var response = await _http.GetAsync(uri);
            response.EnsureSuccessStatusCode();
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            count += document.RootElement.GetProperty("items").GetArrayLength();
            var next = document.RootElement.GetProperty("nextToken");
            token = next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (token is not null);
        return count;
    }

    /// <summary>POST @broadcast; returns the status and the "recipients" the server reported (-1 when it did not).</summary>
    public async Task<(HttpStatusCode Status, long Recipients)> BroadcastAsync(byte[] payload, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(payload);
        using var response = await _http.PostAsync("@broadcast", content, cancellationToken);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        var at = body.AsSpan().IndexOf("\"recipients\":"u8);
        return at >= 0 && System.Buffers.Text.Utf8Parser.TryParse(body.AsSpan(at + 13), out long recipients, out _)
            ? (response.StatusCode, recipients)
            : (response.StatusCode, -1);
    }

    public async Task<HttpStatusCode> PostAsync(string connectionId, byte[] payload, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(payload);
        using var response = await _http.PostAsync($"@connections/{Uri.EscapeDataString(connectionId)}", content, cancellationToken);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
