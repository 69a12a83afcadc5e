using Microsoft.Extensions.Options;
using Switchboard.Configuration;
using Switchboard.Server.Demo;

namespace Switchboard.Server;

/// <summary>
/// Builds and runs the gateway executable: configuration layering, the registry chosen by configuration,
/// the demo handlers, the web client at <c>/</c> (told the stage it serves), the health endpoints (<see cref="GatewayHealth"/>), the metrics exporters (<see cref="GatewayTelemetry"/>). Everything else is the library's <c>AddSwitchboard</c>/<c>MapSwitchboard</c>.
/// </summary>
internal static class GatewayHost
{
    /// <summary>The environment variable naming the API definition file (the <c>--definition</c> option wins).</summary>
    public const string DefinitionVariable = "SWITCHBOARD_DEFINITION";

    /// <summary>The definition used when none is named: the demo API next to the executable.</summary>
    public const string DefaultDefinition = "demo-api.json";

    /// <summary>The option that applies changes to the definition file while the gateway runs (<see cref="DefinitionWatcher"/>).</summary>
    public const string WatchOption = "--watch";

    /// <summary>
    /// For the page and console: no framing by other sites (clickjacking the console's Disconnect), scripts and styles
    /// only from the gateway, connections to the gateway and to WebSocket URLs (the page's <c>?ws=</c>).
    /// </summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>
    /// True while <see cref="RunAsync"/> starts the application: the host's "Hosting failed to start" error, with its
    /// stack trace, is then left out, because RunAsync reports the same exception itself (in one line when it can).
    /// </summary>
    private static volatile bool s_starting;

    public static async Task<int> RunAsync(string[] args)
    {
        WebApplication? app = null;
        s_starting = true;
        try
        {
            app = Build(args);
            await app.StartAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (ConfigurationError.TryDescribe(exception, app?.Configuration, out var description))
        {
            await Console.Error.WriteLineAsync(description).ConfigureAwait(false);
            return 2;
        }
        finally
        {
            s_starting = false;
        }

        // With JSON console logs every line of output is a JSON object for a log shipper: the banner's facts are in
        // the log events already (event 13, "Now listening on").
        if (!string.Equals(app.Configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Out.WriteLineAsync(StartupBanner.Describe(app.Services)).ConfigureAwait(false);
        }

        await app.WaitForShutdownAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>Builds the application; <paramref name="args"/> are ASP.NET Core's (<c>--urls</c>, <c>--Switchboard:Stage=…</c>) plus <c>--definition</c>.</summary>
    public static WebApplication Build(string[] args)
    {
        // --watch is this program's option, not a configuration key: left in, the command-line configuration would
        // take the next argument as its value.
        var watch = args.Contains(WatchOption, StringComparer.Ordinal);
        args = [.. args.Where(arg => arg != WatchOption)];
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "web"),
        });
        var definition = AddDefinition(builder.Configuration, args);
        // A filter for a category replaces the configured level for it: keep the host's debug lines out as before.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => level >= LogLevel.Information && (level < LogLevel.Error || !s_starting));
        builder.Services.AddSwitchboardServer(builder.Configuration);
        if (watch)
        {
            builder.Services.AddHostedService(provider => ActivatorUtilities.CreateInstance<DefinitionWatcher>(provider, definition, builder.Configuration));
        }

        var app = builder.Build();
        app.UseSwitchboardHostFiltering();
        app.UseSwitchboardPathNormalization();
        app.UseWebClientPage(AddPageHeaders);
        app.UseStaticFiles(new StaticFileOptions { OnPrepareResponse = static file => AddPageHeaders(file.Context.Response.Headers) });
        app.UseRouting();
        app.MapSwitchboard();
        GatewayHealth.Map(app);
        GatewayTelemetry.MapScrapeEndpoint(app);
        return app;
    }

    private static void AddPageHeaders(IHeaderDictionary headers)
    {
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
    }

    /// <summary>The services of the executable: the gateway, the registry chosen by <c>Switchboard:Registry:Provider</c> and the demo handlers.</summary>
    public static IServiceCollection AddSwitchboardServer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddHealthChecks();
        var switchboard = services.AddSwitchboard(configuration);
        switchboard.AddSettings<ServerRegistryOptions>(ServerRegistryOptions.Section)
            .Validate(
                registry => ServerRegistryOptions.Providers.Contains(registry.Provider, StringComparer.OrdinalIgnoreCase),
                $"{ServerRegistryOptions.Section.FullPath}:Provider: unknown provider '{configuration[ServerRegistryOptions.Section.FullPath + ":Provider"]}' (expected one of: {string.Join(", ", ServerRegistryOptions.Providers)})");
        var provider = configuration[ServerRegistryOptions.Section.FullPath + ":Provider"] ?? "sqlite";
        if (provider.Equals("sqlite", StringComparison.OrdinalIgnoreCase))
        {
            switchboard.AddSqliteRegistry();
        }
        else if (provider.Equals("redis", StringComparison.OrdinalIgnoreCase))
        {
            switchboard.AddRedisScaleOut();
        }

        switchboard.AddDemoHandlers();
        GatewayTelemetry.Add(switchboard);
        services.AddSwitchboardBufferPool();
        return services;
    }

    /// <summary>
    /// Layers the definition file over appsettings.json, then re-applies environment variables and the command
    /// line so they still override it (<c>Switchboard__Stage=dev</c>, <c>--Switchboard:Stage=dev</c>).
    /// </summary>
    /// <returns>The definition file's full path.</returns>
    public static string AddDefinition(ConfigurationManager configuration, string[] args)
    {
        var path = DefinitionPath(args) ?? Path.Combine(AppContext.BaseDirectory, DefaultDefinition);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The API definition file {Path.GetFullPath(path)} does not exist.", path);
        }

        path = Path.GetFullPath(path);
        ConfigurationError.AddDefinitionFile(configuration, path);
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args.Where(arg => !arg.StartsWith("--definition", StringComparison.Ordinal)).ToArray());
        AnchorCertificatePaths(configuration);
        return path;
    }

    /// <summary>
    /// Kestrel reads a relative certificate path against the content root, which is the executable's directory here;
    /// the user means the directory they started the gateway in, as for the registry file and the definition. Relative
    /// certificate and key paths are therefore made absolute against the working directory.
    /// </summary>
    private static void AnchorCertificatePaths(ConfigurationManager configuration)
    {
        var certificates = configuration.GetSection("Kestrel:Certificates").GetChildren()
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint.GetSection("Certificate")));
        var anchored = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates)
        {
            foreach (var key in (string[])["Path", "KeyPath"])
            {
                if (certificate[key] is { Length: > 0 } path && !Path.IsPathRooted(path))
                {
                    anchored[certificate.Path + ":" + key] = Path.GetFullPath(path);
                }
            }
        }

        if (anchored.Count > 0)
        {
            configuration.AddInMemoryCollection(anchored);
        }
    }

    private static string? DefinitionPath(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--definition" && i + 1 < args.Length)
            {
                return args[i + 1];
            }

            if (args[i].StartsWith("--definition=", StringComparison.Ordinal))
            {
                return args[i]["--definition=".Length..];
            }
        }

        return Environment.GetEnvironmentVariable(DefinitionVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
    }
}
