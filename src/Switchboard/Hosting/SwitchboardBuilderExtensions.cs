using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Events;
using Switchboard.Hosting;
using Switchboard.Integrations;
using Switchboard.Integrations.InProcess;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>What can be added to the gateway: route handlers, integration kinds, and the settings of a package.</summary>
public static class SwitchboardBuilderExtensions
{
    /// <summary>Registers an in-process route handler under <paramref name="name"/> (a route's <c>Integration:Handler</c>).</summary>
    public static ISwitchboardBuilder AddRouteHandler<THandler>(this ISwitchboardBuilder builder, string name)
        where THandler : class, IWebSocketRouteHandler
    {
        builder.Services.AddKeyedSingleton<IWebSocketRouteHandler, THandler>(name);
        builder.Services.AddSingleton(new RouteHandlerName(name));
        return builder;
    }

    /// <summary>Registers a delegate as an in-process route handler under <paramref name="name"/>.</summary>
    public static ISwitchboardBuilder AddRouteHandler(this ISwitchboardBuilder builder, string name, Func<RouteEvent, CancellationToken, ValueTask<RouteResponse>> handler)
    {
        builder.Services.AddKeyedSingleton<IWebSocketRouteHandler>(name, new DelegateRouteHandler(handler));
        builder.Services.AddSingleton(new RouteHandlerName(name));
        return builder;
    }

    /// <summary>
    /// Registers an integration kind that routes name in <c>Integration:Type</c> (matched without regard to case).
    /// A kind registered under an existing name replaces it.
    /// </summary>
    public static ISwitchboardBuilder AddIntegrationKind<TKind>(this ISwitchboardBuilder builder, string name)
        where TKind : class, IIntegrationKind
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = IntegrationKindName.Normalize(name);
        builder.Services.AddKeyedSingleton<IIntegrationKind, TKind>(key);
        builder.Services.AddSingleton(new IntegrationKindName(key));
        return builder;
    }

    /// <summary>
    /// Runs <typeparamref name="TService"/> (registered as a singleton by the caller) around the gateway: started before
    /// anything of the gateway's, stopped after it has closed every connection and run their <c>$disconnect</c>, whatever
    /// the order of registration. For what a backend must have open while the gateway runs (a database, a Redis
    /// connection). Backend services start in the order they were added and stop in reverse; adding one twice runs it once.
    /// </summary>
    public static ISwitchboardBuilder AddBackendService<TService>(this ISwitchboardBuilder builder)
        where TService : class, IHostedService
    {
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BackendService<TService>>(
            provider => new BackendService<TService>(provider.GetRequiredService<TService>())));
        return builder;
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to a part of the <c>Switchboard</c> section that a package owns, checks
    /// that part for unknown keys and wrongly typed values (all reported together, by key path, at startup), and
    /// validates it at startup. For backends and other packages that extend the gateway; add validation to the
    /// returned builder.
    /// </summary>
    public static OptionsBuilder<TOptions> AddSettings<TOptions>(this ISwitchboardBuilder builder, SwitchboardConfigurationSection section)
        where TOptions : class
    {
        if (section.OptionsType != typeof(TOptions))
        {
            throw new ArgumentException($"The section is described with {section.OptionsType.Name}, not {typeof(TOptions).Name}", nameof(section));
        }

        if (builder.Services.Any(descriptor => descriptor.ImplementationInstance is SwitchboardConfigurationSection added && added.FullPath.Equals(section.FullPath, StringComparison.OrdinalIgnoreCase)))
        {
            // Added before (a backend added twice): bound, checked and validated once, or every problem is listed twice.
            return new OptionsBuilder<TOptions>(builder.Services, Options.Options.DefaultName);
        }

        var configuration = builder.Configuration;
        builder.Services.AddSingleton(section);
        // Unknown keys and values of the wrong type are reported by a validator registered before any other, so that
        // one run lists them together with every other problem. Binding leaves the wrong values out (the binder would
        // throw at the first one, and drop a whole route over it).
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(provider => new ConfigurationShapeValidator<TOptions>(configuration, section, provider.GetServices<SwitchboardConfigurationSection>()));
        return builder.Services.AddOptions<TOptions>()
            .Configure<IEnumerable<SwitchboardConfigurationSection>>((options, sections) =>
                ConfigurationShapeValidator<TOptions>.Bind(configuration, section, sections, options))
            .ValidateOnStart();
    }
}
