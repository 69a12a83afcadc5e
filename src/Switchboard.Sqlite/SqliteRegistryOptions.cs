using Switchboard.Configuration;

namespace Switchboard.Sqlite;

/// <summary>The SQLite registry's settings: <c>Switchboard:Registry:Sqlite</c>.</summary>
public sealed class SqliteRegistryOptions
{
    /// <summary>The part of the <c>Switchboard</c> section these settings are bound from, and the keys that moved into it.</summary>
    public static SwitchboardConfigurationSection Section { get; } = new("Registry:Sqlite", typeof(SqliteRegistryOptions))
    {
        MovedKeys = new Dictionary<string, string> { ["Registry:Path"] = "Registry:Sqlite:Path" },
    };

    /// <summary>The database file. Relative paths are relative to the working directory.</summary>
    public string Path { get; set; } = "switchboard.db";
}
