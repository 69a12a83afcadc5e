using Microsoft.Extensions.DependencyInjection.Extensions;
using Switchboard.Registry;
using Switchboard.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the SQLite registry to the gateway.</summary>
public static class SqliteSwitchboardBuilderExtensions
{
    /// <summary>
    /// Keeps the connection registry in a SQLite file (<c>Switchboard:Registry:Sqlite:Path</c>, then
    /// <paramref name="configure"/>): one node per file. The file is opened before the gateway starts and closed after it
    /// has stopped, whatever the order of registration.
    /// </summary>
    public static ISwitchboardBuilder AddSqliteRegistry(this ISwitchboardBuilder builder, Action<SqliteRegistryOptions>? configure = null)
    {
        var settings = builder.AddSettings<SqliteRegistryOptions>(SqliteRegistryOptions.Section);
        if (configure is not null)
        {
            settings.Configure(configure);
        }

        var services = builder.Services;
        if (services.Any(descriptor => descriptor.ServiceType == typeof(SqliteConnectionRegistry)))
        {
            return builder;
        }

        settings.Validate(options => !string.IsNullOrWhiteSpace(options.Path), $"{SqliteRegistryOptions.Section.FullPath}:Path: must name the SQLite database file");
        services.TryAddSingleton<SqliteConnectionRegistry>();
        services.Replace(ServiceDescriptor.Singleton<IConnectionRegistry>(provider => provider.GetRequiredService<SqliteConnectionRegistry>()));
        services.Replace(ServiceDescriptor.Singleton<ILostConnectionOutbox>(provider => provider.GetRequiredService<SqliteConnectionRegistry>()));
        return builder.AddBackendService<SqliteConnectionRegistry>();
    }
}
