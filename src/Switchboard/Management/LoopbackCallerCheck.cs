using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Switchboard.Diagnostics;
using Switchboard.Security;

namespace Switchboard.Management;

/// <summary>
/// Refuses callers from non-loopback addresses with 403 <c>ForbiddenException</c>, whatever address the gateway
/// listens on; attached unless <c>Switchboard:Management:AllowRemote</c> is true. Behind trusted proxies the caller is
/// the client they report, so a proxy on loopback does not make every caller local. Refusals are logged at most once per
/// <see cref="ManagementEndpoints.RefusalLogInterval"/>.
/// </summary>
internal sealed class LoopbackCallerCheck(TrustedProxies proxies, ILogger logger, TimeProvider time) : IManagementAccessCheck
{
    private readonly LogThrottle _refusals = new(time, ManagementEndpoints.RefusalLogInterval);

    public ValueTask<ManagementError?> CheckAsync(HttpContext context)
    {
        var remote = proxies.Resolve(context).Address;
        if (remote is null || IPAddress.IsLoopback(remote))
        {
            return ValueTask.FromResult<ManagementError?>(null);
        }

        if (_refusals.TryEnter(out var suppressed))
        {
            Log.RemoteManagementRefused(logger, remote.ToString(), suppressed);
        }

        return ValueTask.FromResult<ManagementError?>(ManagementError.Forbidden);
    }
}
