namespace Switchboard.Configuration;

/// <summary>
/// A part of the <c>Switchboard</c> configuration section owned by a package other than the core — for example
/// <c>Registry:Sqlite</c> by the SQLite registry. The core's unknown-key check leaves an owned part to its owner, which
/// checks it against its own options type; every key listed in <see cref="MovedKeys"/> is reported with where it went.
/// Registered with <see cref="Microsoft.Extensions.DependencyInjection.SwitchboardBuilderExtensions.AddSettings{TOptions}"/>.
/// </summary>
/// <param name="Path">The part's path below <c>Switchboard</c>, e.g. <c>Registry:Sqlite</c>; empty for the section itself.</param>
/// <param name="OptionsType">The options class its keys bind to.</param>
public sealed record SwitchboardConfigurationSection(string Path, Type OptionsType)
{
    /// <summary>
    /// Keys (paths below <c>Switchboard</c>) that an earlier version read and this one does not, each with the path it
    /// moved to, or an empty string when it was removed. Only keys this part took over or made obsolete.
    /// </summary>
    public IReadOnlyDictionary<string, string> MovedKeys { get; init; } = new Dictionary<string, string>();

    /// <summary>The full configuration path: <c>Switchboard</c> or <c>Switchboard:{Path}</c>.</summary>
    public string FullPath => Path.Length == 0 ? SwitchboardOptions.SectionName : $"{SwitchboardOptions.SectionName}:{Path}";
}
