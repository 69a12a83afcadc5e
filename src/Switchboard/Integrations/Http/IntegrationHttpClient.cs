namespace Switchboard.Integrations.Http;

/// <summary>
/// The one <see cref="HttpClient"/> all HTTP integrations share: pooled keep-alive connections to backends,
/// recycled every few minutes so DNS changes are seen. Timeouts are the route's, enforced by the invoker.
/// </summary>
internal sealed class IntegrationHttpClient : IDisposable
{
    public HttpClient Client { get; } = new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        UseCookies = false,
        AllowAutoRedirect = false,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public void Dispose() => Client.Dispose();
}
