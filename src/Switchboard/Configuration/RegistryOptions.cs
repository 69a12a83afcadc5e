namespace Switchboard.Configuration;

/// <summary>Where the connection registry lives.</summary>
public sealed class RegistryOptions
{
    /// <summary><c>sqlite</c> (default: an embedded file, one node), <c>memory</c> (nothing persisted).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>For <c>sqlite</c>: the database file. Relative paths are relative to the working directory.</summary>
    public string Path { get; set; } = "switchboard.db";

    /// <summary>How often batched <c>lastActiveAt</c> updates are written.</summary>
    public TimeSpan TouchFlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
