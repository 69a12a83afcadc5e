using System.Net.Http.Headers;
using Switchboard.Events;

namespace Switchboard.Integrations.Http;

/// <summary>
/// POSTs the Lambda-proxy event as JSON to a URL and reads a Lambda-proxy result
/// (<c>{"statusCode":200,"headers":{},"body":"…"}</c>) back — how an HTTP backend stands in for a Lambda function.
/// </summary>
/// <remarks>
/// The answer is read by <see cref="LambdaProxyAnswer"/>: a non-2xx HTTP status and every function-error shape of the
/// Lambda Invoke API are failed invocations; an empty 2xx answer counts as <c>{"statusCode":200}</c>; a body that is
/// not a JSON object is a failure. For an authorizer event the answer is passed on unread instead.
/// </remarks>
internal sealed class HttpIntegration(HttpClient httpClient, Uri uri, IReadOnlyDictionary<string, string> headers) : IRouteIntegration
{
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json") { CharSet = "utf-8" };

    private readonly string _source = $"backend {uri}";

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
            return await LambdaProxyAnswer.ReadAsync(response, routeEvent, _source, emptyMeansOk: true, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            return IntegrationResult.Failure($"cannot reach {_source}: {exception.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return IntegrationResult.Failure($"call to {_source} was cancelled");
        }
    }
}
