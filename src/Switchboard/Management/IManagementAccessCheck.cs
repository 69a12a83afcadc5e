using Microsoft.AspNetCore.Http;

namespace Switchboard.Management;

/// <summary>
/// A condition a management call must meet before its operation runs: where it may come from, and (in a later
/// version) with which credentials. Checks are metadata of the management endpoints and run in the order they were
/// attached, the gateway's defaults first: the <c>Host</c> header (DNS rebinding), loopback callers only unless
/// <c>Switchboard:Management:AllowRemote</c>, no calls from pages of other origins, the management rate limit. The first
/// refusal answers the call, with <c>x-amzn-RequestId</c> like every management answer.
/// </summary>
/// <remarks>
/// Authentication of the management API (SigV4 signatures, API keys) is meant to be one more check, after the defaults:
/// <c>app.MapSwitchboard().Management.WithMetadata(check)</c>. Checks run inside the endpoint: after ASP.NET Core's
/// endpoint policies (<c>RequireAuthorization</c>, <c>RequireHost</c>, CORS, rate limiting), before endpoint filters.
/// One instance serves every call at once, so it must be thread-safe; a check that reads the body must leave it
/// readable for the operation (<c>EnableBuffering</c>).
/// </remarks>
public interface IManagementAccessCheck
{
    /// <summary>Null lets the call go on; otherwise the error it is answered with.</summary>
    ValueTask<ManagementError?> CheckAsync(HttpContext context);
}
