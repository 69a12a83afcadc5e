using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Switchboard.Authorization;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Backplane;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.Http;
using Switchboard.Integrations.HttpProxy;
using Switchboard.Integrations.InProcess;
using Switchboard.Integrations.Lambda;
using Switchboard.Integrations.Mock;
using Switchboard.Transport;
using Switchboard.Management;
using Switchboard.RateLimiting;
using Switchboard.Registry;
using Switchboard.Routing;
using Switchboard.Security;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the gateway in an ASP.NET Core application.</summary>
public static class SwitchboardServiceCollectionExtensions
{
    /// <summary>How much longer than <c>Limits:ShutdownTimeout</c> the host may take to stop (Kestrel, the registry, the last <c>$disconnect</c> calls).</summary>
    private static readonly TimeSpan ShutdownMargin = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Adds the gateway, bound to the <c>Switchboard</c> section of <paramref name="configuration"/>. Unknown keys
    /// and invalid values stop startup with every problem listed by key path. The registry is
    /// <see cref="InMemoryConnectionRegistry"/> and the backplane <see cref="LocalBackplane"/> unless a backend is added
    /// to the returned builder (<c>AddSqliteRegistry()</c>, <c>AddRedisScaleOut()</c>); route handlers and integration
    /// kinds are added there too, in any order.
    /// </summary>
    public static ISwitchboardBuilder AddSwitchboard(this IServiceCollection services, IConfiguration configuration)
    {
        var builder = new SwitchboardBuilder(services, configuration);
        builder.AddSettings<SwitchboardOptions>(new SwitchboardConfigurationSection("", typeof(SwitchboardOptions)));
        // Before validation, so that the checks and the integrations see the URLs the calls will use.
        services.PostConfigure<SwitchboardOptions>(StageVariableReferences.ResolveAll);
        services.AddSingleton<IValidateOptions<SwitchboardOptions>, SwitchboardOptionsValidator>();
        services.AddMetrics();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionRegistry, InMemoryConnectionRegistry>();
        services.TryAddSingleton<IBackplane, LocalBackplane>();
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<NodeShutdown>();
        services.AddSingleton<LocalConnections>();
        services.AddSingleton(provider => new LocalDelivery(provider.GetRequiredService<LocalConnections>()));
        services.AddSingleton(provider => ConnectionBudget.For(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, OpenFileLimit.Current(), MemoryLimit.AvailableBytes));
        services.AddSingleton<SwitchboardMetrics>();
        services.AddSingleton(provider => new AllowedHosts(provider, configuration, provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value));
        services.AddSingleton(provider => new RouteEventFactory(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider.GetRequiredService<AllowedHosts>()));
        services.AddSingleton(provider => new RouteTableSource(RouteTableFactory.Create(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider), provider.GetRequiredService<Microsoft.Extensions.Logging.ILogger<RouteTableSource>>()));
        services.AddSingleton(provider => new LimitsSource(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Limits));
        services.AddSingleton(provider => new TrustedProxies(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Security.TrustedProxies));
        services.AddSingleton(provider => new HandshakeOrigins(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Security.AllowedOrigins));
        services.AddSingleton(provider => new GatewayRateLimits(
            provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value,
            provider.GetRequiredService<LocalConnections>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<HandshakeGate>();
        services.AddSingleton<RouteInvoker>();
        services.AddSingleton<MessageDispatcher>();
        // The gateway's own calls to the registry and the backplane go through the measuring wrappers.
        services.AddSingleton(provider => new MeasuredConnectionRegistry(provider.GetRequiredService<IConnectionRegistry>(), provider.GetRequiredService<SwitchboardMetrics>()));
        services.AddSingleton(provider => new MeasuredBackplane(provider.GetRequiredService<IBackplane>(), provider.GetRequiredService<SwitchboardMetrics>()));
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<WebSocketSessionHandler>(provider, provider.GetRequiredService<MeasuredConnectionRegistry>()));
        services.AddSingleton(provider => new ConnectionManager(
            provider.GetRequiredService<LocalConnections>(),
            provider.GetRequiredService<LocalDelivery>(),
            provider.GetRequiredService<MeasuredConnectionRegistry>(),
            provider.GetRequiredService<MeasuredBackplane>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<SwitchboardMetrics>(),
            provider.GetRequiredService<LimitsSource>()));
        services.AddHostedService(provider => ActivatorUtilities.CreateInstance<ConnectionLifetimeMonitor>(provider, provider.GetRequiredService<MeasuredConnectionRegistry>()));
        // The host cancels its stopping after its own ShutdownTimeout (30 s by default), which would cut a longer
        // drain short; the drain's $disconnect calls may run a little past Limits:ShutdownTimeout (the connections
        // still closing are aborted then), so the host gets that much more time.
        services.AddOptions<HostOptions>().Configure<IOptions<SwitchboardOptions>>(static (host, switchboard) =>
            host.ShutdownTimeout = TimeSpan.FromTicks(Math.Max(host.ShutdownTimeout.Ticks, (switchboard.Value.Limits.ShutdownTimeout + ShutdownMargin).Ticks)));
        services.AddHostedService<LostConnectionDisconnects>();
        SwitchboardHealthChecks.Add(services);
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, DirectUpgradeKestrelSetup>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, ConnectionBudgetKestrelSetup>();

        AddIntegrationHttpClient(services);
        ConnectAuthorizationFactory.AddJwksHttpClient(services);
        builder.AddIntegrationKind<HttpIntegrationKind>(IntegrationKinds.Http);
        builder.AddIntegrationKind<InProcessIntegrationKind>(IntegrationKinds.InProcess);
        builder.AddIntegrationKind<LambdaIntegrationKind>(IntegrationKinds.Lambda);
        builder.AddIntegrationKind<HttpProxyIntegrationKind>(IntegrationKinds.HttpProxy);
        builder.AddIntegrationKind<MockIntegrationKind>(IntegrationKinds.Mock);
        return builder;
    }

    /// <summary>
    /// Gives Kestrel's socket transport a buffer pool that keeps at most <paramref name="retainedBlocks"/> idle 4 KB
    /// blocks (2 MB by default) instead of every block it ever lent: after a moment when many connections read or
    /// write at once, memory goes back to what the connections themselves hold (see docs/benchmarks.md). Replaces the
    /// server-wide <see cref="Microsoft.AspNetCore.Connections.IMemoryPoolFactory{T}"/>, so it affects every request
    /// Kestrel serves, not only the gateway's; the Switchboard executable uses it.
    /// </summary>
    public static IServiceCollection AddSwitchboardBufferPool(this IServiceCollection services, int retainedBlocks = 512)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(retainedBlocks);
        return services.Replace(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>(new BoundedBlockMemoryPoolFactory(retainedBlocks)));
    }

    /// <summary>
    /// The named client all HTTP integrations share (<see cref="IntegrationKinds.HttpClientName"/>); timeouts are the
    /// route's, enforced by the invoker. One handler for the process's life: the pool recycles connections itself, and
    /// the factory's handler rotation (every 2 minutes by default) would open a second pool beside the first, past the
    /// connection budget, and start every backend connection cold again. Handlers users add with
    /// <c>AddHttpClient(IntegrationKinds.HttpClientName).AddHttpMessageHandler(…)</c> wrap this one.
    /// Each setting is explained in docs/configuration.md ("Connections to backends").
    /// </summary>
    private static void AddIntegrationHttpClient(IServiceCollection services) =>
        services.AddHttpClient(IntegrationKinds.HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static provider => new SocketsHttpHandler
            {
                // Connections are reused (HTTP/1.1 keep-alive) and replaced after 5 minutes, so a DNS change (a
                // backend moved behind a new address) is seen within 5 minutes without dropping a call.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                // Below the 60 s idle timeout of common load balancers and proxies, so the gateway closes an idle
                // connection before the other side does; a call racing a server's close is retried on a new connection.
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
                // An unreachable backend fails the call within 10 s even when the route's timeout is longer.
                ConnectTimeout = TimeSpan.FromSeconds(10),
                // Every connection is an open file the connection budget keeps aside; unbounded, a burst of slow
                // integration calls would open one socket each and take the process to its open-file limit.
                MaxConnectionsPerServer = provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value.Limits.MaxIntegrationConnectionsPerBackend,
                // An error answer the gateway does not read is drained (up to 64 KB, 1 s) so its connection is reused;
                // a larger one closes the connection instead of reading megabytes for nothing.
                MaxResponseDrainSize = 64 * 1024,
                ResponseDrainTimeout = TimeSpan.FromSeconds(1),
                // The answer limit (10 MB) counts the bytes that arrive: no transparent decompression behind it.
                AutomaticDecompression = System.Net.DecompressionMethods.None,
                // A backend's cookies and redirects are not the gateway's to follow: a 3xx is a failed call.
                UseCookies = false,
                AllowAutoRedirect = false,
                // Requests are HTTP/1.1 (HttpClient's default version), so HTTP/2 keep-alive pings do not apply;
                // HTTP_PROXY, HTTPS_PROXY and NO_PROXY are honoured as everywhere in .NET.
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // Integration calls are logged by the invoker (with the route and requestId, never the headers).
            .RemoveAllLoggers();

    private sealed class SwitchboardBuilder(IServiceCollection services, IConfiguration configuration) : ISwitchboardBuilder
    {
        public IServiceCollection Services { get; } = services;

        public IConfiguration Configuration { get; } = configuration;
    }
}
