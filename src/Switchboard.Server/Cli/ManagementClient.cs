using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Switchboard.Server.Cli;

/// <summary>A small HTTP client for the management API, as the CLI uses it.</summary>
internal sealed class ManagementClient(string endpoint) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _base = endpoint.TrimEnd('/');

    public string Endpoint => _base;

    public Task<HttpResponseMessage> PostToConnectionAsync(string connectionId, string message, CancellationToken cancellationToken) =>
        _http.PostAsync($"{_base}/@connections/{Uri.EscapeDataString(connectionId)}", Text(message), cancellationToken);

    public Task<HttpResponseMessage> BroadcastAsync(string message, CancellationToken cancellationToken) =>
        _http.PostAsync($"{_base}/@broadcast", Text(message), cancellationToken);

    public async Task<(List<JsonElement> Items, HttpResponseMessage? Failure)> ListAllAsync(CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        string? nextToken = null;
        do
        {
            var url = $"{_base}/@connections?limit=1000" + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken));
            var response = await _http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (items, response);
            }

            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            items.AddRange(document.RootElement.GetProperty("items").EnumerateArray().Select(item => item.Clone()));
            nextToken = document.RootElement.TryGetProperty("nextToken", out var token) && token.ValueKind == JsonValueKind.String ? token.GetString() : null;
            response.Dispose();
        }
        while (nextToken is not null);

        return (items, null);
    }

    public void Dispose() => _http.Dispose();

    private static ByteArrayContent Text(string message)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(message));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        return content;
    }
}
