using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Delivery;
using Switchboard.Diagnostics;
using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Integrations.Http;
using Switchboard.Integrations.InProcess;
using Switchboard.Management;
using Switchboard.Registry;
using Switchboard.Routing;

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
        services.AddSingleton<SwitchboardMetrics>();
        services.AddSingleton<IntegrationHttpClient>();
        services.AddSingleton(provider => new RouteEventFactory(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value));
        services.AddSingleton(provider => RouteTableFactory.Create(provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider));
        services.AddSingleton<RouteInvoker>();
        services.AddSingleton<ConnectionHandler>();
        services.AddSingleton(provider => new ConnectionManager(
            provider.GetRequiredService<LocalConnections>(),
            provider.GetRequiredService<IConnectionRegistry>(),
            provider.GetRequiredService<IBackplane>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<SwitchboardMetrics>(),
            provider.GetRequiredService<IOptions<SwitchboardOptions>>()));
        services.AddHostedService<ConnectionLifetimeMonitor>();
        services.AddTransient<IConfigureOptions<KestrelServerOptions>, DirectUpgradeKestrelSetup>();
        return services;
    }

    /// <summary>Registers an in-process route handler under <paramref name="name"/> (the route's <c>Integration:Handler</c>).</summary>
    public static IServiceCollection AddRouteHandler<THandler>(this IServiceCollection services, string name)
        where THandler : class, IWebSocketRouteHandler =>
        services.AddKeyedSingleton<IWebSocketRouteHandler, THandler>(name);

    /// <summary>Registers a delegate as an in-process route handler under <paramref name="name"/>.</summary>
    public static IServiceCollection AddRouteHandler(this IServiceCollection services, string name, Func<Events.RouteEvent, CancellationToken, ValueTask<RouteResponse>> handler) =>
        services.AddKeyedSingleton<IWebSocketRouteHandler>(name, new DelegateRouteHandler(handler));
}
