namespace Switchboard.Configuration;

/// <summary>
/// The <see cref="LimitsOptions"/> in use: the startup values, replaced whole by a configuration reload
/// (<c>--watch</c>). Services read <see cref="Current"/> where they apply a limit (one volatile read), never copy a
/// value into a field, so a reload reaches open connections too. A snapshot is never changed once published.
/// </summary>
/// <remarks>
/// <see cref="LimitsOptions.MaxConnections"/> and <see cref="LimitsOptions.MaxIntegrationConnectionsPerBackend"/> are
/// read once at startup whatever this holds (the connection budget sizes Kestrel's socket limit, the HTTP client's
/// pool is built once): a reload keeps their running values (<see cref="DefinitionChange.ReloadablePrefixes"/>).
/// </remarks>
internal sealed class LimitsSource(LimitsOptions initial)
{
    private volatile LimitsOptions _current = initial;

    public LimitsOptions Current => _current;

    /// <summary>Makes <paramref name="limits"/> (validated, and not changed afterwards) the limits of every later read.</summary>
    public void Replace(LimitsOptions limits) => _current = limits;
}
