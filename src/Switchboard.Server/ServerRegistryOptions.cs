using Switchboard.Configuration;
using Switchboard.Redis;
using Switchboard.Sqlite;

namespace Switchboard.Server;

/// <summary>
/// The executable's choice of registry, <c>Switchboard:Registry</c>. Embedding applications choose in code
/// (<c>AddSqliteRegistry()</c>, <c>AddRedisScaleOut()</c>); the executable reads <see cref="Provider"/>. The backends'
/// own settings are below it, each bound and checked by its package; both are known here so that the settings of the
/// backend not chosen are still checked for typos.
/// </summary>
internal sealed class ServerRegistryOptions
{
    public static readonly string[] Providers = ["sqlite", "memory", "redis"];

    public static SwitchboardConfigurationSection Section { get; } = new("Registry", typeof(ServerRegistryOptions))
    {
        MovedKeys = SqliteRegistryOptions.Section.MovedKeys.Concat(RedisScaleOutOptions.Section.MovedKeys).ToDictionary(),
    };

    /// <summary><c>sqlite</c> (default: an embedded file, one node), <c>memory</c> (nothing persisted), <c>redis</c> (a cluster).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>Bound by the SQLite package when it is the provider.</summary>
    public SqliteRegistryOptions Sqlite { get; set; } = new();

    /// <summary>Bound by the Redis package when it is the provider.</summary>
    public RedisScaleOutOptions Redis { get; set; } = new();
}
