using System.Net.Http.Headers;
using Switchboard.Events;
using Switchboard.Management.Authentication;

namespace Switchboard.Integrations.Lambda;

/// <summary>
/// Invokes a Lambda function with the Lambda-proxy event through the Lambda Invoke API, as API Gateway's AWS_PROXY
/// integration does: <c>POST {endpoint}/2015-03-31/functions/{function}/invocations[?Qualifier=…]</c> with
/// <c>X-Amz-Invocation-Type: RequestResponse</c>, signed with SigV4 (service <c>lambda</c>) with the credentials <see cref="LambdaCredentials"/>
/// finds. The answer is read by <see cref="LambdaProxyAnswer"/>: every function-error shape is a failed
/// invocation, and so is an empty body. One call per event; nothing is retried (invocations are not idempotent).
/// </summary>
internal sealed class LambdaIntegration(HttpClient httpClient, Uri invocationUri, string functionName, string region, LambdaCredentials credentials, TimeProvider time) : IRouteIntegration
{
    public const string Service = "lambda";
    public const string InvocationTypeHeader = "X-Amz-Invocation-Type";

    // Exactly application/json: older `sam local start-lambda` versions compare the media type without parameters.
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private readonly string _source = $"function {functionName}";

    public Uri InvocationUri => invocationUri;

    public async ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, invocationUri);
        request.Content = new ByteArrayContent(ProxyEventWriter.ToUtf8Bytes(routeEvent));
        request.Content.Headers.ContentType = JsonContentType;
        request.Headers.TryAddWithoutValidation(InvocationTypeHeader, "RequestResponse");
        try
        {
            if (await credentials.GetAsync(cancellationToken).ConfigureAwait(false) is { } signing)
            {
                await SigV4Signer.SignAsync(request, signing, region, Service, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            }

            using var response = await httpClient
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken)
                .ConfigureAwait(false);
            return await LambdaProxyAnswer.ReadAsync(response, routeEvent, _source, emptyMeansOk: false, cancellationToken).ConfigureAwait(false);
        }
        catch (LambdaCredentialsException exception)
        {
            return IntegrationResult.Failure($"cannot sign the call to {_source}: {exception.Message}");
        }
        catch (HttpRequestException exception)
        {
            return IntegrationResult.Failure($"cannot reach the Invoke API for {_source} at {invocationUri.GetLeftPart(UriPartial.Authority)}: {exception.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return IntegrationResult.Failure($"call to {_source} was cancelled");
        }
    }
}
