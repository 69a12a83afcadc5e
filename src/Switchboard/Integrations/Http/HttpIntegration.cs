using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Switchboard.Events;

namespace Switchboard.Integrations.Http;

/// <summary>
/// POSTs the Lambda-proxy event as JSON to a URL and reads a Lambda-proxy result
/// (<c>{"statusCode":200,"headers":{},"body":"…"}</c>) back — how an HTTP backend stands in for a Lambda function.
/// </summary>
/// <remarks>
/// For an authorizer event (<see cref="RouteEvent.IsAuthorizerRequest"/>) the answer is passed on unread instead.
/// Otherwise the backend's own HTTP status must be 2xx (anything else is a failed invocation, like a Lambda error);
/// an empty 2xx answer counts as <c>{"statusCode":200}</c>; a body that is not a JSON object is a failure.
/// </remarks>
internal sealed class HttpIntegration(HttpClient httpClient, Uri uri, IReadOnlyDictionary<string, string> headers) : IRouteIntegration
{
    /// <summary>Results larger than this are treated as failures rather than buffered.</summary>
    private const int MaxResultBytes = 10 * 1024 * 1024;

    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    public Uri Uri => uri;

    public async ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri);
        request.Content = new ByteArrayContent(ProxyEventWriter.ToUtf8Bytes(routeEvent));
        request.Content.Headers.ContentType = JsonContentType;
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        try
        {
            using var response = await httpClient
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            if (routeEvent.IsAuthorizerRequest)
            {
                return await ReadAuthorizerAnswerAsync(response, cancellationToken).ConfigureAwait(false);
            }

            if (!response.IsSuccessStatusCode)
            {
                return IntegrationResult.Failure($"backend {uri} answered HTTP {(int)response.StatusCode}");
            }

            if (response.Content.Headers.ContentLength > MaxResultBytes)
            {
                return IntegrationResult.Failure($"backend {uri} answered more than {MaxResultBytes} bytes");
            }

            var payload = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            return ParseResult(payload, uri);
        }
        catch (HttpRequestException exception)
        {
            return IntegrationResult.Failure($"cannot reach backend {uri}: {exception.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return IntegrationResult.Failure($"call to backend {uri} was cancelled");
        }
    }

    /// <summary>
    /// An authorizer's answer is its own result document, not a Lambda-proxy result: passed on as the body, with the
    /// backend's HTTP status (401 means <c>Unauthorized</c>), for the authorizer to read.
    /// </summary>
    private async Task<IntegrationResult> ReadAuthorizerAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResultBytes)
        {
            return IntegrationResult.Failure($"backend {uri} answered more than {MaxResultBytes} bytes");
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return IntegrationResult.Success(new RouteResponse { StatusCode = (int)response.StatusCode, Body = body });
    }

    /// <summary>Parses a Lambda-proxy result.</summary>
    internal static IntegrationResult ParseResult(ReadOnlySpan<byte> payload, Uri source)
    {
        if (payload.Trim((byte)' ').IsEmpty)
        {
            return IntegrationResult.Success(RouteResponse.Ok);
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return IntegrationResult.Failure($"backend {source} answered a JSON {root.ValueKind}, not a result object");
            }

            var statusCode = 200;
            if (root.TryGetProperty("statusCode", out var status) && !(status.ValueKind == JsonValueKind.Number && status.TryGetInt32(out statusCode)))
            {
                return IntegrationResult.Failure($"backend {source} answered a statusCode that is not an integer");
            }

            string? body = null;
            if (root.TryGetProperty("body", out var bodyElement))
            {
                body = bodyElement.ValueKind switch
                {
                    JsonValueKind.String => bodyElement.GetString(),
                    JsonValueKind.Null => null,
                    _ => bodyElement.GetRawText(),
                };
            }

            if (body is not null && root.TryGetProperty("isBase64Encoded", out var base64) && base64.ValueKind == JsonValueKind.True)
            {
                body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }

            Dictionary<string, string>? responseHeaders = null;
            if (root.TryGetProperty("headers", out var headersElement) && headersElement.ValueKind == JsonValueKind.Object)
            {
                responseHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var header in headersElement.EnumerateObject())
                {
                    responseHeaders[header.Name] = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
                }
            }

            return IntegrationResult.Success(new RouteResponse { StatusCode = statusCode, Body = body, Headers = responseHeaders });
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            return IntegrationResult.Failure($"backend {source} answered a malformed result: {exception.Message}");
        }
    }
}
