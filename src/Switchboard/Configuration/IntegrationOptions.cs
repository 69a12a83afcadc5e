namespace Switchboard.Configuration;

/// <summary>How a route reaches its backend.</summary>
public sealed class IntegrationOptions
{
    /// <summary>
    /// <c>lambda</c> (the Lambda Invoke API), <c>http</c> (the Lambda-proxy event POSTed as JSON), <c>http_proxy</c> (the
    /// message itself, API Gateway's HTTP_PROXY), <c>inprocess</c> (a .NET handler registered in DI) or <c>mock</c> (a fixed answer).
    /// </summary>
    public string Type { get; set => field = value ?? ""; } = "";

    /// <summary>For <c>http</c> and <c>http_proxy</c>: the absolute http(s) URL called.</summary>
    public string? Uri { get; set; }

    /// <summary>For <c>http</c> and <c>http_proxy</c>: extra request headers (for example a shared secret). Values are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>For <c>http_proxy</c>: the request's method; none: POST.</summary>
    public string? HttpMethod { get; set; }

    /// <summary>
    /// For <c>http_proxy</c>: API Gateway's request parameter mapping, <c>integration.request.header.X</c> or
    /// <c>integration.request.querystring.X</c> → a source (<c>context.connectionId</c>, <c>route.request.body.user.id</c>,
    /// <c>'static'</c>, …). Nothing of the client's request reaches the backend unless mapped here.
    /// </summary>
    public Dictionary<string, string> RequestParameters { get; set; } = [];

    /// <summary>For <c>mock</c>: the status answered; none: 200.</summary>
    public int? StatusCode { get; set; }

    /// <summary>For <c>mock</c>: the body answered (sent back on two-way routes); none: no body.</summary>
    public string? Body { get; set; }

    /// <summary>For <c>inprocess</c>: the name the handler was registered under with <c>AddRouteHandler</c>.</summary>
    public string? Handler { get; set; }

    /// <summary>For <c>lambda</c>: the function's name, partial ARN or ARN (optionally with <c>:qualifier</c>).</summary>
    public string? FunctionName { get; set; }

    /// <summary>For <c>lambda</c>: the version or alias invoked (<c>?Qualifier=</c>); none: <c>$LATEST</c> or the one in <see cref="FunctionName"/>.</summary>
    public string? Qualifier { get; set; }

    /// <summary>For <c>lambda</c>: the Invoke API's base URL; none: <c>https://lambda.{Region}.amazonaws.com</c>. An emulator's URL, e.g. <c>http://127.0.0.1:3001</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>For <c>lambda</c>: the region signed for (and of the default endpoint); none: the ARN's, else <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, else us-east-1.</summary>
    public string? Region { get; set; }

    /// <summary>For <c>lambda</c>, <c>http</c> and <c>http_proxy</c>: at most this many calls run at once; none: 1,000 calls in progress and no queue.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>With <see cref="MaxConcurrency"/>: at most this many calls wait for a free slot (default 100); a call beyond it fails at once.</summary>
    public int? MaxQueue { get; set; }

    /// <summary>Overrides <see cref="LimitsOptions.IntegrationTimeout"/> for this route (API Gateway allows 50 ms to 29 s).</summary>
    public TimeSpan? Timeout { get; set; }
}
