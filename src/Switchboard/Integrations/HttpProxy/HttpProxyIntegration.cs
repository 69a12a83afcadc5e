using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Logging;
using Switchboard.Events;
using Switchboard.Integrations.Http;

namespace Switchboard.Integrations.HttpProxy;

/// <summary>
/// API Gateway's HTTP_PROXY: sends the message's text as the request body (<c>$connect</c> and <c>$disconnect</c> send
/// none) with the configured method to the URL, with the static <c>Headers</c> and what the
/// <see cref="RequestParameterMapping"/> maps — nothing else of the client's request. The answer is passed through:
/// its status and body are the result whatever the status (on <c>$connect</c> a non-2xx refuses the handshake with it
/// and <c>Sec-WebSocket-Protocol</c> picks the subprotocol; on two-way routes the body is sent back, as API Gateway passes
/// a proxy integration's output "as the complete payload"). Failures: the backend cannot be reached, drops the
/// connection, or answers more than <see cref="LambdaProxyAnswer.MaxResultBytes"/>.
/// </summary>
/// <remarks>
/// A 5xx passed on to a client is logged (it is an answer, so the invoker does not count it as a failure); a non-2xx
/// on <c>$connect</c> is the backend's decision and is not.
/// </remarks>
internal sealed partial class HttpProxyIntegration(
    HttpClient httpClient,
    HttpMethod method,
    Uri uri,
    IReadOnlyDictionary<string, string> headers,
    RequestParameterMapping mapping,
    ILogger<HttpProxyIntegration> logger) : IRouteIntegration
{
    public const string SubProtocolHeader = "Sec-WebSocket-Protocol";

    // WebSocket text frames are UTF-8; what the text means is the backend's business. A mapped Content-Type replaces it.
    private static readonly MediaTypeHeaderValue TextContentType = new("text/plain") { CharSet = "utf-8" };

    private readonly string _source = $"backend {uri}";

    public async ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        var (mappedHeaders, query) = mapping.Resolve(routeEvent);
        using var request = new HttpRequestMessage(method, query.Count == 0 ? uri : WithQuery(uri, query));
        if (routeEvent.EventType == RouteEventType.Message)
        {
            request.Content = new ReadOnlyMemoryContent(routeEvent.BodyUtf8);
            request.Content.Headers.ContentType = TextContentType;
        }

        // A mapped value replaces a static header of the same name.
        var allHeaders = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in mappedHeaders)
        {
            allHeaders[name] = value;
        }

        foreach (var (name, value) in allHeaders)
        {
            AddHeader(request, name, value);
        }

        try
        {
            using var response = await httpClient
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            var answer = new RouteResponse { StatusCode = (int)response.StatusCode, Headers = SubProtocolOf(response) };
            if (routeEvent.EventType != RouteEventType.Message)
            {
                // Only two-way message routes send a body anywhere; $connect and $disconnect use the status and headers.
                return IntegrationResult.Success(answer);
            }

            if (answer.StatusCode >= 500)
            {
                LogServerErrorPassedOn(logger, routeEvent.RouteKey, answer.StatusCode, routeEvent.ConnectionId, routeEvent.RequestId);
            }

            var body = await BoundedBody.ReadAsync(response.Content, LambdaProxyAnswer.MaxResultBytes, cancellationToken).ConfigureAwait(false);
            return body is null
                ? IntegrationResult.Failure($"{_source} answered more than {LambdaProxyAnswer.MaxResultBytes} bytes")
                : IntegrationResult.Success(answer with { Body = body.Length == 0 ? null : Encoding.UTF8.GetString(body) });
        }
        catch (HttpRequestException exception)
        {
            return IntegrationResult.Failure($"cannot reach {_source}: {exception.Message}");
        }
        catch (IOException exception)
        {
            return IntegrationResult.Failure($"{_source} broke off its answer: {exception.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return IntegrationResult.Failure($"call to {_source} was cancelled");
        }
    }

    /// <summary>A request header, or a content header (<c>Content-Type</c>, …) on the body, replacing the default; dropped when there is no body.</summary>
    private static void AddHeader(HttpRequestMessage request, string name, string value)
    {
        if (!request.Headers.TryAddWithoutValidation(name, value) && request.Content is { } content)
        {
            content.Headers.Remove(name);
            content.Headers.TryAddWithoutValidation(name, value);
        }
    }

    private static Uri WithQuery(Uri uri, List<KeyValuePair<string, string>> query)
    {
        var builder = new StringBuilder(uri.GetLeftPart(UriPartial.Path));
        var separator = '?';
        if (uri.Query.Length > 1)
        {
            builder.Append(uri.Query);
            separator = '&';
        }

        foreach (var (name, value) in query)
        {
            builder.Append(separator).Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            separator = '&';
        }

        return new Uri(builder.ToString());
    }

    private static Dictionary<string, string>? SubProtocolOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues(SubProtocolHeader, out var values)
            ? new(StringComparer.OrdinalIgnoreCase) { [SubProtocolHeader] = string.Join(", ", values) }
            : null;

    [LoggerMessage(71, LogLevel.Warning, "Backend of route {RouteKey} answered HTTP {StatusCode} (connection {ConnectionId}, requestId {RequestId}); its body is passed on as the answer, as API Gateway passes an HTTP_PROXY answer")]
    private static partial void LogServerErrorPassedOn(ILogger logger, string routeKey, int statusCode, string connectionId, string requestId);
}
