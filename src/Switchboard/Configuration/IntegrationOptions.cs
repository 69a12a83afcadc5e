namespace Switchboard.Configuration;

/// <summary>How a route reaches its backend.</summary>
public sealed class IntegrationOptions
{
    /// <summary><c>lambda</c> (the Lambda Invoke API), <c>http</c> (the Lambda-proxy event POSTed as JSON) or <c>inprocess</c> (a .NET handler registered in DI).</summary>
    public string Type { get; set; } = "";

    /// <summary>For <c>http</c>: the absolute http(s) URL the event is POSTed to.</summary>
    public string? Uri { get; set; }

    /// <summary>For <c>http</c>: extra request headers (for example a shared secret). Values are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

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

    /// <summary>For <c>lambda</c> and <c>http</c>: at most this many calls run at once; none: 1,000 calls in progress and no queue.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>With <see cref="MaxConcurrency"/>: at most this many calls wait for a free slot (default 100); a call beyond it fails at once.</summary>
    public int? MaxQueue { get; set; }

    /// <summary>Overrides <see cref="LimitsOptions.IntegrationTimeout"/> for this route (API Gateway allows 50 ms to 29 s).</summary>
    public TimeSpan? Timeout { get; set; }
}
