namespace Switchboard.Configuration;

/// <summary>How a route reaches its backend.</summary>
public sealed class IntegrationOptions
{
    /// <summary><c>http</c> (the Lambda-proxy event POSTed as JSON) or <c>inprocess</c> (a .NET handler registered in DI).</summary>
    public string Type { get; set; } = "";

    /// <summary>For <c>http</c>: the absolute http(s) URL the event is POSTed to.</summary>
    public string? Uri { get; set; }

    /// <summary>For <c>http</c>: extra request headers (for example a shared secret). Values are never logged.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>For <c>inprocess</c>: the name the handler was registered under with <c>AddRouteHandler</c>.</summary>
    public string? Handler { get; set; }

    /// <summary>Overrides <see cref="LimitsOptions.IntegrationTimeout"/> for this route (API Gateway allows 50 ms to 29 s).</summary>
    public TimeSpan? Timeout { get; set; }
}
