namespace Switchboard.Configuration;

/// <summary>Access to the <c>@connections</c> management API and its Switchboard extensions.</summary>
public sealed class ManagementOptions
{
    /// <summary>
    /// When false (the default) management calls from non-loopback addresses answer 403 ForbiddenException,
    /// even when the gateway itself is bound to a public address.
    /// </summary>
    public bool AllowRemote { get; set; }

    /// <summary>
    /// Web origins (<c>https://admin.example.com</c>: scheme, host and port, no path) whose pages may call the
    /// management API through a browser. Calls from any other origin than the gateway's own answer 403
    /// ForbiddenException; callers that are not browsers (SDKs, curl) send no origin and are not affected. Empty by default.
    /// </summary>
    public List<string> AllowedOrigins { get; set; } = [];

    /// <summary>Credentials and API keys every management call must present; none by default.</summary>
    public ManagementAuthenticationOptions Authentication { get; set; } = new();
}
