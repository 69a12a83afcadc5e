using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Security;

namespace Switchboard.Management;

/// <summary>
/// Refuses management calls that a browser makes on behalf of a page from another origin, with 403
/// <c>ForbiddenException</c>. Such a page can send a POST or DELETE without a CORS preflight
/// (<c>fetch(url, {mode: 'no-cors', body})</c>): it cannot read the answer, but the message is delivered. Browsers mark
/// those requests with <c>Origin</c> and <c>Sec-Fetch-Site</c>; AWS SDKs, curl and the CLI send neither and are not
/// affected. Behind a trusted proxy that ends TLS, the gateway's own origin has the scheme the proxy reports. Refusals
/// are logged at most once per <see cref="ManagementEndpoints.RefusalLogInterval"/>.
/// </summary>
internal sealed class CrossSiteCheck(IEnumerable<string> allowedOrigins, TrustedProxies proxies, ILogger logger, TimeProvider time) : IManagementAccessCheck
{
    private readonly HashSet<string> _allowedOrigins = new(allowedOrigins.Select(origin => origin.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
    private readonly LogThrottle _refusals = new(time, ManagementEndpoints.RefusalLogInterval);

    public ValueTask<ManagementError?> CheckAsync(HttpContext context)
    {
        if (!IsCrossSite(context))
        {
            return ValueTask.FromResult<ManagementError?>(null);
        }

        if (_refusals.TryEnter(out var suppressed))
        {
            var headers = context.Request.Headers;
            Log.CrossSiteManagementRefused(logger, headers.Origin.Count > 0 ? headers.Origin.ToString() : $"Sec-Fetch-Site: {headers["Sec-Fetch-Site"]}", suppressed);
        }

        return ValueTask.FromResult<ManagementError?>(ManagementError.Forbidden);
    }

    /// <summary>
    /// True when an <c>Origin</c> is present and is neither this gateway's own (scheme and Host of the request) nor a
    /// configured one; without <c>Origin</c>, when <c>Sec-Fetch-Site</c> says another site or origin sent it. Another
    /// port of the same host is <c>same-site</c>, not <c>same-origin</c>, and is refused too.
    /// </summary>
    private bool IsCrossSite(HttpContext context)
    {
        var request = context.Request;
        var origin = request.Headers.Origin;
        if (origin.Count > 0)
        {
            var value = origin.ToString();
            return !(_allowedOrigins.Contains(value) || IsOwnOrigin(value, proxies.Resolve(context).Scheme, request));
        }

        var site = request.Headers["Sec-Fetch-Site"];
        return site.Count > 0 && site != "same-origin" && site != "none";
    }

    private static bool IsOwnOrigin(string origin, string scheme, HttpRequest request)
    {
        var host = request.Host.Value ?? "";
        return origin.Length == scheme.Length + 3 + host.Length
            && origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            && origin.AsSpan(scheme.Length).StartsWith("://", StringComparison.Ordinal)
            && origin.EndsWith(host, StringComparison.OrdinalIgnoreCase);
    }
}
