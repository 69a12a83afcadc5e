using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Registry;

namespace Switchboard.Sqlite;

/// <summary>Registers the SQLite registry.</summary>
public static class SqliteRegistryServiceCollectionExtensions
{
    /// <summary>
    /// Uses <see cref="SqliteConnectionRegistry"/> (file from <c>Switchboard:Registry:Path</c>) as the connection
    /// registry. Call before <c>AddSwitchboard</c> so the registry starts before, and stops after, the gateway's services.
    /// </summary>
    public static IServiceCollection AddSqliteRegistry(this IServiceCollection services)
    {
        services.TryAddSingleton<SqliteConnectionRegistry>();
        services.Replace(ServiceDescriptor.Singleton<IConnectionRegistry>(provider => provider.GetRequiredService<SqliteConnectionRegistry>()));
        services.AddHostedService(provider => provider.GetRequiredService<SqliteConnectionRegistry>());
        return services;
    }
}
