using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.Backplane;
using Switchboard.Registry;

namespace Switchboard.Redis;

/// <summary>Registers the Redis registry and backplane.</summary>
public static class RedisRegistryServiceCollectionExtensions
{
    /// <summary>
    /// Uses Redis (<c>Switchboard:Registry:Configuration</c>) as the connection registry and the backplane between nodes,
    /// and adds a <c>redis</c> health check. Call before <c>AddSwitchboard</c> so Redis is connected before, and
    /// cleaned up after, the gateway's services.
    /// </summary>
    public static IServiceCollection AddRedisRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(provider => new RedisConnection(
            provider.GetRequiredService<IOptions<SwitchboardOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisConnection>>()));
        services.TryAddSingleton(provider => new RedisConnectionRegistry(provider.GetRequiredService<RedisConnection>()));
        services.TryAddSingleton(provider => new RedisNodeLiveness(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<RedisConnectionRegistry>(),
            provider.GetRequiredService<IOptions<SwitchboardOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisNodeLiveness>>()));
        services.TryAddSingleton(provider => new RedisBackplane(
            provider.GetRequiredService<RedisConnection>(),
            provider.GetRequiredService<LocalDelivery>(),
            provider.GetRequiredService<IOptions<SwitchboardOptions>>(),
            provider.GetRequiredService<NodeIdentity>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<RedisBackplane>>()));
        services.Replace(ServiceDescriptor.Singleton<IConnectionRegistry>(provider => provider.GetRequiredService<RedisConnectionRegistry>()));
        services.Replace(ServiceDescriptor.Singleton<IBackplane>(provider => provider.GetRequiredService<RedisBackplane>()));

        // Started in this order and stopped in reverse: the connection outlives the node's clean-up.
        services.AddHostedService(provider => provider.GetRequiredService<RedisConnection>());
        services.AddHostedService(provider => provider.GetRequiredService<RedisNodeLiveness>());
        services.AddHostedService(provider => provider.GetRequiredService<RedisBackplane>());

        services.AddSingleton<IValidateOptions<SwitchboardOptions>, RedisOptionsValidator>();
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            "redis",
            provider => new RedisHealthCheck(
                provider.GetRequiredService<RedisConnection>(),
                provider.GetRequiredService<RedisConnectionRegistry>(),
                provider.GetRequiredService<RedisNodeLiveness>(),
                provider.GetRequiredService<NodeIdentity>(),
                provider.GetRequiredService<IOptions<SwitchboardOptions>>(),
                provider.GetRequiredService<TimeProvider>()),
            failureStatus: null,
            tags: null));
        return services;
    }
}
