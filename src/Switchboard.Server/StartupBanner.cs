using System.Reflection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Redis;
using Switchboard.Sqlite;

namespace Switchboard.Server;

/// <summary>
/// What a person who just started the gateway wants to see: which version runs which API on which registry, and the
/// URLs to open. Printed once the server listens, to standard output, apart from the log.
/// </summary>
internal static class StartupBanner
{
    public static string Describe(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        // Stage names and base paths are letters, digits, '-' and '_' (validated): nothing to escape.
        var webSocketPath = ApiPath.WebSocket(options);
        var managementPrefix = ApiPath.ManagementPrefix(options);
        var lines = new List<string>
        {
            $"Switchboard {Version} — stage '{options.Stage}', {options.Routes.Count} route(s), registry: {DescribeRegistry(services)}",
        };
        foreach (var address in services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [])
        {
            var http = Browsable(address).TrimEnd('/');
            var ws = http.StartsWith("https:", StringComparison.Ordinal) ? "wss" + http[5..] : "ws" + http[4..];
            lines.Add($"  WebSocket    {ws}{webSocketPath}");
            lines.Add($"  Page         {http}/");
            lines.Add($"  Console      {http}/#/console");
            lines.Add($"  Management   {http}{managementPrefix}/@connections");
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>The version without the source revision the SDK appends (<c>0.2.0+abc123</c>).</summary>
    private static string Version =>
        typeof(StartupBanner).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";

    /// <summary>A wildcard bind (<c>0.0.0.0</c>, <c>[::]</c>, <c>*</c>, <c>+</c>) is reachable from this machine on loopback.</summary>
    private static string Browsable(string address)
    {
        foreach (var wildcard in new[] { "://0.0.0.0:", "://[::]:", "://*:", "://+:" })
        {
            address = address.Replace(wildcard, "://127.0.0.1:", StringComparison.Ordinal);
        }

        return address;
    }

    private static string DescribeRegistry(IServiceProvider services)
    {
        var provider = services.GetRequiredService<IOptions<ServerRegistryOptions>>().Value.Provider.ToLowerInvariant();
        return provider switch
        {
            "sqlite" => $"sqlite ({Path.GetFullPath(services.GetRequiredService<IOptions<SqliteRegistryOptions>>().Value.Path)})",
            // Endpoints only: the configuration string may hold a password.
            "redis" => services.GetRequiredService<IOptions<RedisScaleOutOptions>>().Value.Configuration is { } configuration
                ? $"redis ({string.Join(", ", StackExchange.Redis.ConfigurationOptions.Parse(configuration).EndPoints)})"
                : "redis (from code)",
            _ => "memory (nothing persisted)",
        };
    }
}
