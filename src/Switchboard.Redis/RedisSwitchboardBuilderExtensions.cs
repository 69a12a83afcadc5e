using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Backplane;
using Switchboard.Connections;
using Switchboard.Redis;
using Switchboard.Registry;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Redis to the gateway as its registry and its backplane between nodes.</summary>
public static class RedisSwitchboardBuilderExtensions
{
    /// <summary>
    /// Keeps the connection registry in Redis and delivers between nodes through it (settings from
    /// <c>Switchboard:Registry:Redis</c>, then <paramref name="configure"/>), and adds a <c>redis</c> health check.
    /// Redis is connected before the gateway starts and let go of after it has stopped, whatever the order of registration.
    /// </summary>
    public static ISwitchboardBuilder AddRedisScaleOut(this ISwitchboardBuilder builder, Action<RedisScaleOutOptions>? configure = null)
    {
        var settings = builder.AddSettings<RedisScaleOutOptions>(RedisScaleOutOptions.Section);
        if (configure is not null)
        {
            settings.Configure(configure);
        }

        var services = builder.Services;
        if (services.Any(descriptor => descriptor.ServiceType == typeof(RedisConnection)))
        {
            // Added before: the services (and the "redis" health check, whose name must be unique) are there.
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RedisScaleOutOptions>, RedisOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new RedisConnection(
            provider.GetRequiredService<IOptions<RedisScaleOutOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisConnection>>()));
        services.TryAddSingleton(provider => new RedisConnectionRegistry(provider.GetRequiredService<RedisConnection>()));
        services.TryAddSingleton(provider => new RedisNodeLiveness(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<RedisConnectionRegistry>(),
            provider.GetRequiredService<IOptions<RedisScaleOutOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisNodeLiveness>>()));
        services.TryAddSingleton(provider => new RedisBackplane(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<LocalDelivery>(),
            provider.GetRequiredService<IOptions<RedisScaleOutOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisBackplane>>()));
        services.Replace(ServiceDescriptor.Singleton<IConnectionRegistry>(provider => provider.GetRequiredService<RedisConnectionRegistry>()));
        services.Replace(ServiceDescriptor.Singleton<IBackplane>(provider => provider.GetRequiredService<RedisBackplane>()));
        services.Replace(ServiceDescriptor.Singleton<ILostConnectionOutbox>(provider => new RedisLostConnectionOutbox(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<NodeIdentity>())));

        // Started in this order and stopped in reverse: the connection outlives the node's clean-up.
        builder.AddBackendService<RedisConnection>();
        builder.AddBackendService<RedisNodeLiveness>();
        builder.AddBackendService<RedisBackplane>();

        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "redis",
            provider => new RedisHealthCheck(
                provider.GetRequiredService<RedisConnection>(),
                provider.GetRequiredService<RedisConnectionRegistry>(),
                provider.GetRequiredService<RedisNodeLiveness>(),
                provider.GetRequiredService<NodeIdentity>(),
                provider.GetRequiredService<IOptions<RedisScaleOutOptions>>(),
                provider.GetRequiredService<TimeProvider>()),
            failureStatus: null,
            tags: null));
        return builder;
    }
}
