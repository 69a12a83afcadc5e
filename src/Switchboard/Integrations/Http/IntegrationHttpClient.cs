using Microsoft.Extensions.Options;
using Switchboard.Configuration;

namespace Switchboard.Integrations.Http;

/// <summary>
/// The one <see cref="HttpClient"/> all HTTP integrations share: pooled keep-alive connections to backends,
/// recycled every few minutes so DNS changes are seen. Timeouts are the route's, enforced by the invoker.
/// </summary>
internal sealed class IntegrationHttpClient(IOptions<SwitchboardOptions> options) : IDisposable
{
    public HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        // Every connection is an open file the connection budget keeps aside; unbounded, a burst of slow integration
        // calls would open one socket each and take the process to its open-file limit.
        MaxConnectionsPerServer = options.Value.Limits.MaxIntegrationConnectionsPerBackend,
        UseCookies = false,
        AllowAutoRedirect = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Dispose() => Client.Dispose();
}
