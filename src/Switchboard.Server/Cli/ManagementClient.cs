using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Switchboard.Management;

namespace Switchboard.Server.Cli;

/// <summary>A small HTTP client for the management API, as the CLI uses it; every call carries <paramref name="authentication"/> when there is one.</summary>
internal sealed class ManagementClient(string endpoint, ManagementAuthentication? authentication = null) : IDisposable
{
    private readonly HttpClient _http = new(new AuthenticatingHandler(authentication)) { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string _base = endpoint.TrimEnd('/');

    public string Endpoint => _base;

    public Task<HttpResponseMessage> PostToConnectionAsync(string connectionId, string message, CancellationToken cancellationToken) =>
        _http.PostAsync($"{_base}/@connections/{Uri.EscapeDataString(connectionId)}", Text(message), cancellationToken);

    public Task<HttpResponseMessage> BroadcastAsync(string message, CancellationToken cancellationToken) =>
        _http.PostAsync($"{_base}/@broadcast", Text(message), cancellationToken);

    /// <summary>Every open connection, page by page; stops at the first answer that is not 200 and returns it.</summary>
    public async Task<(List<ListedConnection> Items, HttpResponseMessage? Failure)> ListAllAsync(CancellationToken cancellationToken)
    {
        var items = new List<ListedConnection>();
        string? nextToken = null;
        do
        {
            var url = $"{_base}/@connections?limit=1000" + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken));
            var response = await _http.GetAsync(url, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return (items, response);
            }

            using (response)
            {
                var page = await ReadAsync(response, ManagementJsonContext.Default.ListConnectionsResponse, cancellationToken).ConfigureAwait(false);
                items.AddRange(page.Items);
                nextToken = page.NextToken;
            }
        }
        while (nextToken is not null);

        return (items, null);
    }

    /// <summary>A JSON body the gateway answered; throws <see cref="JsonException"/> when it is not that.</summary>
    public static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            return await JsonSerializer.DeserializeAsync(body, typeInfo, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException($"The gateway answered {typeof(T).Name} with null.");
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Signs (or adds the API key to) each request just before it is sent, so the signing time is the sending time.</summary>
    private sealed class AuthenticatingHandler(ManagementAuthentication? authentication) : DelegatingHandler(new SocketsHttpHandler())
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (authentication is not null)
            {
                await authentication.ApplyAsync(request, TimeProvider.System.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
    }

    private static ByteArrayContent Text(string message)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(message));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
        return content;
    }
}
