using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Routing;

namespace Switchboard.Server;

/// <summary>
/// With <c>--watch</c>: applies changes to the definition file without a restart. After the file has been quiet for
/// <see cref="QuietPeriod"/> (editors write in several steps), the configuration is read again from the same sources
/// as at startup and compared with the running one (<see cref="DefinitionChange"/>). Settings outside
/// <see cref="DefinitionChange.ReloadablePrefixes"/> keep their running values and are reported as needing a restart;
/// the rest is validated exactly as at startup (<see cref="DefinitionValidation"/>) and, when valid, becomes a new
/// route table (<see cref="RouteTableSource.Replace"/>) and new limits (<see cref="LimitsSource.Replace"/>). An invalid
/// file changes nothing and is reported with every error by key. Open connections stay open; messages in flight finish
/// on the table they started with.
/// </summary>
/// <remarks>
/// The directory is watched, not the file alone: a Kubernetes ConfigMap volume updates its files by pointing the
/// <c>..data</c> symbolic link at a new directory (an atomic rename of <c>..data_tmp</c>), while the definition's own
/// entry, a link through <c>..data</c>, never changes. Either event starts the quiet period, and a file whose content
/// is the same as at the last read (by SHA-256) is not read again, so the several events of one update reload once.
/// </remarks>
internal sealed partial class DefinitionWatcher : IHostedService, IDisposable
{
    /// <summary>How long the file must be unchanged before it is read: long enough for an editor's save, short for a person.</summary>
    public static readonly TimeSpan QuietPeriod = TimeSpan.FromMilliseconds(300);

    /// <summary>The entry a Kubernetes ConfigMap volume swaps to publish new content (its "atomic writer").</summary>
    internal const string ConfigMapDataLink = "..data";

    private readonly string _path;
    private readonly IConfigurationBuilder _configuration;
    private readonly IServiceProvider _services;
    private readonly RouteTableSource _routes;
    private readonly LimitsSource _limits;
    private readonly ILogger<DefinitionWatcher> _logger;
    private readonly ITimer _quiet;
    private readonly Lock _reloading = new();
    private IReadOnlyDictionary<string, string?> _running = new Dictionary<string, string?>();
    private byte[]? _lastContentHash;
    private FileSystemWatcher? _watcher;

    /// <param name="path">The definition file (full path).</param>
    /// <param name="configuration">The application's configuration: its sources are read again on a change.</param>
    public DefinitionWatcher(string path, ConfigurationManager configuration, IServiceProvider services, TimeProvider time, ILogger<DefinitionWatcher> logger)
    {
        _path = path;
        _configuration = configuration;
        _services = services;
        _routes = services.GetRequiredService<RouteTableSource>();
        _limits = services.GetRequiredService<LimitsSource>();
        _logger = logger;
        _quiet = time.CreateTimer(static state => ((DefinitionWatcher)state!).Reload(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _running = Flatten((IConfiguration)_configuration);
        _lastContentHash = ContentHash();
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(_path)!)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.CreationTime,
        };
        // Saved in place (Changed), or written elsewhere and moved over it (Created, Renamed), or a ConfigMap's ..data
        // link swapped (Renamed, Created): either way, wait for quiet.
        _watcher.Changed += OnFileEvent;
        _watcher.Created += OnFileEvent;
        _watcher.Renamed += OnFileEvent;
        _watcher.EnableRaisingEvents = true;
        LogWatching(_logger, _path);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _watcher?.EnableRaisingEvents = false;
        _quiet.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _quiet.Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (IsDefinitionEntry(e.Name, Path.GetFileName(_path)))
        {
            _quiet.Change(QuietPeriod, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Whether a change to the directory entry <paramref name="name"/> may change the definition <paramref name="fileName"/>.</summary>
    internal static bool IsDefinitionEntry(string? name, string fileName) =>
        string.Equals(name, fileName, StringComparison.Ordinal) || string.Equals(name, ConfigMapDataLink, StringComparison.Ordinal);

    /// <summary>SHA-256 of the definition's content (through any links); null when it cannot be read now.</summary>
    private byte[]? ContentHash()
    {
        try
        {
            return System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(_path));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Reads, compares, validates and applies the definition; never throws (it runs on a timer).</summary>
    internal void Reload()
    {
        lock (_reloading)
        {
            try
            {
                // Several events of one update (a ConfigMap swap, an editor's save in steps) read the file once.
                var hash = ContentHash();
                if (hash is not null && _lastContentHash is not null && hash.AsSpan().SequenceEqual(_lastContentHash))
                {
                    return;
                }

                _lastContentHash = hash;
                if (!TryRead(out var next, out var readError))
                {
                    LogRefused(_logger, _path, readError);
                    return;
                }

                var change = DefinitionChange.Compare(_running, next);
                if (change.ChangedKeys.Count == 0)
                {
                    return;
                }

                if (change.NeedsRestart.Count > 0)
                {
                    LogNeedsRestart(_logger, _path, string.Join(", ", change.NeedsRestart));
                }

                if (!change.HasApplicableChanges)
                {
                    return;
                }

                var applicable = new ConfigurationBuilder().AddInMemoryCollection(change.Applicable).Build();
                SwitchboardOptions options;
                try
                {
                    options = DefinitionValidation.Validate(applicable).Gateway;
                }
                catch (Exception exception) when (ConfigurationError.TryDescribe(exception, configuration: null, out var description))
                {
                    LogRefused(_logger, _path, OneLine(description));
                    return;
                }

                // Built before anything is replaced: a table that fails to build leaves both the routes and the limits as they were.
                var table = RouteTableFactory.Create(options, _services);
                _limits.Replace(options.Limits);
                _routes.Replace(table);
                _running = change.Applicable;
                var settings = change.ChangedKeys.Except(change.NeedsRestart, StringComparer.OrdinalIgnoreCase)
                    .Where(key => !key.StartsWith("Switchboard:Routes:", StringComparison.OrdinalIgnoreCase))
                    .Select(key => key.Replace("Switchboard:", "", StringComparison.OrdinalIgnoreCase));
                LogApplied(_logger, _path, change.Routes.Added, change.Routes.Removed, change.Routes.Changed, table.Count, string.Join(", ", settings) is { Length: > 0 } list ? list : "none");
            }
#pragma warning disable CA1031 // A reload that fails for any reason keeps the running configuration; the gateway goes on.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                LogRefused(_logger, _path, exception.Message);
            }
        }
    }

    /// <summary>The configuration from the startup sources, read again (the definition file among them), flattened.</summary>
    private bool TryRead(out IReadOnlyDictionary<string, string?> configuration, out string error)
    {
        var builder = new ConfigurationBuilder();
        foreach (var source in _configuration.Sources)
        {
            builder.Add(source);
        }

        try
        {
            var root = builder.Build();
            try
            {
                configuration = Flatten(root);
                error = "";
                return true;
            }
            finally
            {
                (root as IDisposable)?.Dispose();
            }
        }
        catch (Exception exception) when (exception is InvalidDataException or IOException)
        {
            configuration = new Dictionary<string, string?>();
            error = ConfigurationError.DescribeSyntaxError(exception, _path) ?? exception.Message;
            return false;
        }
    }

    /// <summary>
    /// The settings by key. Sections themselves (null values: <c>Switchboard:Limits</c> above its settings) are left
    /// out: they hold nothing, and a section that appears with its first setting must not count as a change of its own.
    /// </summary>
    private static Dictionary<string, string?> Flatten(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(pair => pair.Value is not null).ToDictionary(pair => pair.Key, pair => pair.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>Startup's multi-line error list as one log line: "the configuration has errors: A: …; B: …".</summary>
    private static string OneLine(string description)
    {
        var lines = description.Replace("Switchboard cannot start: ", "", StringComparison.Ordinal)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length > 1 && lines[0].EndsWith(':') ? lines[0] + " " + string.Join("; ", lines[1..]) : string.Join(" ", lines);
    }

    [LoggerMessage(EventId = 84, Level = LogLevel.Information, Message = "Reloaded the definition {Path}: {Added} route(s) added, {Removed} removed, {Changed} changed; {RouteCount} routes in use; other settings changed: {Settings}")]
    private static partial void LogApplied(ILogger logger, string path, int added, int removed, int changed, int routeCount, string settings);

    [LoggerMessage(EventId = 85, Level = LogLevel.Warning, Message = "The definition {Path} changed but was not applied; the running configuration is kept: {Errors}")]
    private static partial void LogRefused(ILogger logger, string path, string errors);

    [LoggerMessage(EventId = 86, Level = LogLevel.Warning, Message = "The definition {Path} changes settings that need a restart; they keep their running values until then: {Keys}")]
    private static partial void LogNeedsRestart(ILogger logger, string path, string keys);

    [LoggerMessage(EventId = 87, Level = LogLevel.Information, Message = "Watching the definition {Path}: changes to routes, stage variables and limits are applied without a restart")]
    private static partial void LogWatching(ILogger logger, string path);
}
