using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Backplane;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.Http;
using Switchboard.Integrations.InProcess;
using Switchboard.Management;
using Switchboard.Registry;
using Switchboard.Routing;
using Switchboard.Security;

namespace Switchboard.Hosting;

/// <summary>Registers the gateway in an ASP.NET Core application.</summary>
public static class SwitchboardServiceCollectionExtensions
{
    /// <summary>
    /// Adds the gateway, bound to the <c>Switchboard</c> section of <paramref name="configuration"/>. Unknown keys
    /// and invalid values stop startup with every problem listed by key path. The registry defaults to
    /// <see cref="InMemoryConnectionRegistry"/> and the backplane to <see cref="LocalBackplane"/> unless other
    /// implementations are registered (for example <c>AddSqliteRegistry</c>).
    /// </summary>
    public static IServiceCollection AddSwitchboard(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(SwitchboardOptions.SectionName);
        services.AddOptions<SwitchboardOptions>()
            .Configure(options =>
            {
                // Unknown keys and values of the wrong type are all reported together, by key path, before binding:
                // the binder alone would stop at the first one, or silently drop a route that holds one.
                var shapeErrors = ConfigurationShape.Find(section, typeof(SwitchboardOptions)).ToList();
                if (shapeErrors.Count > 0)
                {
                    throw new OptionsValidationException(Options.DefaultName, typeof(SwitchboardOptions), shapeErrors);
                }

                section.Bind(options);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SwitchboardOptions>, SwitchboardOptionsValidator>();
        services.AddMetrics();

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IConnectionRegistry, InMemoryConnectionRegistry>();
        services.TryAddSingleton<IBackplane, LocalBackplane>();
        services.AddSingleton<NodeIdentity>();
        services.AddSingleton<LocalConnections>();
        services.AddSingleton(provider => new LocalDelivery(provider.GetRequiredService<LocalConnections>()));
        services.AddSingleton(provider => ConnectionBudget.For(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, OpenFileLimit.Current()));
        services.AddSingleton<SwitchboardMetrics>();
        services.AddSingleton<IntegrationHttpClient>();
        services.AddSingleton(provider => new AllowedHosts(provider, configuration, provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value));
        services.AddSingleton(provider => new RouteEventFactory(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider.GetRequiredService<AllowedHosts>()));
        services.AddSingleton(provider => RouteTableFactory.Create(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider));
        services.AddSingleton<RouteInvoker>();
        services.AddSingleton<ConnectionHandler>();
        services.AddSingleton(provider => new ConnectionManager(
            provider.GetRequiredService<LocalConnections>(),
            provider.GetRequiredService<LocalDelivery>(),
            provider.GetRequiredService<IConnectionRegistry>(),
            provider.GetRequiredService<IBackplane>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<SwitchboardMetrics>(),
            provider.GetRequiredService<IOptions<SwitchboardOptions>>()));
        services.AddHostedService<ConnectionLifetimeMonitor>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, DirectUpgradeKestrelSetup>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, ConnectionBudgetKestrelSetup>();
        return services;
    }

    /// <summary>Registers an in-process route handler under <paramref name="name"/> (the route's <c>Integration:Handler</c>).</summary>
    public static IServiceCollection AddRouteHandler<THandler>(this IServiceCollection services, string name)
        where THandler : class, IWebSocketRouteHandler =>
        services.AddKeyedSingleton<IWebSocketRouteHandler, THandler>(name);

    /// <summary>Registers a delegate as an in-process route handler under <paramref name="name"/>.</summary>
    public static IServiceCollection AddRouteHandler(this IServiceCollection services, string name, Func<Events.RouteEvent, CancellationToken, ValueTask<RouteResponse>> handler) =>
        services.AddKeyedSingleton<IWebSocketRouteHandler>(name, new DelegateRouteHandler(handler));

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
        return services.Replace(ServiceDescriptor.Singleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>(new Transport.BoundedBlockMemoryPoolFactory(retainedBlocks)));
    }
}
