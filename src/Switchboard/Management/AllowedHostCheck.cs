using Microsoft.AspNetCore.Http;
using Switchboard.Security;

namespace Switchboard.Management;

/// <summary>
/// Refuses a <c>Host</c> the gateway does not serve with 400 <c>Invalid Host header</c> (DNS rebinding: a page on a name
/// its author re-points to 127.0.0.1 would otherwise read and drive the loopback management API as its own origin).
/// </summary>
internal sealed class AllowedHostCheck(AllowedHosts hosts) : IManagementAccessCheck
{
    private static readonly ManagementError InvalidHost = ManagementError.BadRequest("Invalid Host header");

    public ValueTask<ManagementError?> CheckAsync(HttpContext context) =>
        ValueTask.FromResult(hosts.IsAllowed(context.Request.Headers.Host) ? null : InvalidHost);
}
