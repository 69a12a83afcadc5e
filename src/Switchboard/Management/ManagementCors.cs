using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Switchboard.Management;

/// <summary>
/// CORS for the management API, for the origins listed in <c>Switchboard:Management:AllowedOrigins</c> only (none by
/// default, and then nothing here answers). A listed origin gets what its scripts need and no more: a preflight
/// allows the methods of the path asked for and the headers an authenticated call sends (<c>Authorization</c>, the
/// SigV4 <c>x-amz-*</c> headers, <c>x-api-key</c>, <c>content-type</c>), without credentials (cookies play no part);
/// answers carry <c>Access-Control-Allow-Origin</c> for that origin and expose the error type and request id. Any other
/// origin gets no CORS header at all, so its browser refuses its scripts' calls — and <see cref="CrossSiteCheck"/>
/// still refuses the ones a browser sends without asking.
/// </summary>
internal sealed class ManagementCors(IEnumerable<string> allowedOrigins)
{
    /// <summary>Request headers a listed origin's scripts may send; compared case-insensitively, as header names are.</summary>
    private static readonly HashSet<string> AllowedRequestHeaders = new(
        ["authorization", "content-type", "x-api-key", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "x-amz-user-agent", "amz-sdk-invocation-id", "amz-sdk-request"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>How long a browser may reuse a preflight's answer: 10 minutes.</summary>
    private const string PreflightMaxAgeSeconds = "600";

    private readonly HashSet<string> _allowedOrigins = new(allowedOrigins.Select(origin => origin.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <summary>Marks the answer to a listed origin's call as readable by its scripts; other callers' answers are left as they are.</summary>
    public void AddResponseHeaders(HttpContext context)
    {
        if (ListedOrigin(context.Request) is { } origin)
        {
            var headers = context.Response.Headers;
            headers.AccessControlAllowOrigin = origin;
            headers.AccessControlExposeHeaders = "x-amzn-ErrorType, x-amzn-RequestId";
            headers.Vary = "Origin";
        }
    }

    /// <summary>
    /// Answers a preflight (<c>OPTIONS</c>) for a path that serves <paramref name="methods"/>: 204 with the CORS headers
    /// when the origin is listed and asks for one of those methods and only allowed headers; otherwise 403 without any.
    /// </summary>
    public Task PreflightAsync(HttpContext context, string[] methods)
    {
        var request = context.Request;
        var response = context.Response;
        var method = request.Headers.AccessControlRequestMethod.ToString();
        if (ListedOrigin(request) is not { } origin
            || !methods.Contains(method, StringComparer.Ordinal)
            || !RequestedHeaders(request.Headers.AccessControlRequestHeaders).All(AllowedRequestHeaders.Contains))
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }

        var headers = response.Headers;
        headers.AccessControlAllowOrigin = origin;
        headers.AccessControlAllowMethods = string.Join(", ", methods);
        headers.AccessControlAllowHeaders = string.Join(", ", AllowedRequestHeaders);
        headers.AccessControlMaxAge = PreflightMaxAgeSeconds;
        headers.Vary = "Origin";
        response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private string? ListedOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        return origin.Count == 1 && _allowedOrigins.Contains(origin.ToString()) ? origin.ToString() : null;
    }

    private static IEnumerable<string> RequestedHeaders(StringValues values) =>
        values.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
