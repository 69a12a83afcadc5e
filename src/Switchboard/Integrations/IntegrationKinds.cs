namespace Switchboard.Integrations;

/// <summary>The names of the integration kinds the gateway brings, and of the HTTP client its HTTP integrations use.</summary>
public static class IntegrationKinds
{
    /// <summary>The Lambda-proxy event POSTed as JSON to <c>Integration:Uri</c>.</summary>
    public const string Http = "http";

    /// <summary>The Lambda-proxy event sent to a Lambda function through the Lambda Invoke API (API Gateway's AWS_PROXY).</summary>
    public const string Lambda = "lambda";

    /// <summary>
    /// API Gateway's HTTP_PROXY: the message text (no body on <c>$connect</c>/<c>$disconnect</c>) sent to <c>Integration:Uri</c>,
    /// with only what <c>RequestParameters</c> maps; the answer's status and body are the result.
    /// </summary>
    public const string HttpProxy = "http_proxy";

    /// <summary>API Gateway's MOCK: a fixed <c>StatusCode</c> and optional <c>Body</c>, without a backend.</summary>
    public const string Mock = "mock";

    /// <summary>A .NET handler registered with <c>AddRouteHandler</c> and named by <c>Integration:Handler</c>.</summary>
    public const string InProcess = "inprocess";

    /// <summary>
    /// The named <see cref="HttpClient"/> (<c>IHttpClientFactory</c>) of HTTP integrations. Add message handlers to it
    /// for authentication, client certificates or resilience: <c>services.AddHttpClient(IntegrationKinds.HttpClientName).AddHttpMessageHandler(…)</c>.
    /// </summary>
    public const string HttpClientName = "Switchboard.Integrations";
}
