using SeedApp.Handlers;
using SeedApp.Management;
using Switchboard.Sqlite;

namespace SeedApp;

/// <summary>
/// Builds the seed app: Switchboard embedded in an ASP.NET Core application (<c>AddSqliteRegistry</c>,
/// <c>AddSwitchboard</c>, <c>MapSwitchboard</c>) with the definition <c>seed-api.json</c> and three in-process
/// handlers that do what the original Lambda functions did with DynamoDB and <c>ApiGatewayManagementApi</c>.
/// </summary>
public static class SeedAppHost
{
    /// <summary>The configuration section of the sample's own settings.</summary>
    public const string SectionName = "SeedApp";

    /// <summary>The API definition next to the executable.</summary>
    public const string DefinitionFile = "seed-api.json";

    /// <summary>
    /// Builds the application. <paramref name="args"/> are ASP.NET Core's: <c>--urls http://127.0.0.1:0</c>,
    /// <c>--SeedApp:DataDirectory=/tmp/x</c>, <c>--Switchboard:Stage=dev</c>, …
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });

        // The definition file over appsettings.json; environment variables and the command line still win.
        builder.Configuration.AddJsonFile(Path.Combine(AppContext.BaseDirectory, DefinitionFile), optional: false, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args);

        // Both SQLite files (the gateway's registry and the sample's webSocketConnection table) live in the data
        // directory unless configured otherwise.
        var settings = builder.Configuration.GetSection(SectionName).Get<SeedAppOptions>() ?? new SeedAppOptions();
        var dataDirectory = Path.GetFullPath(settings.DataDirectory ?? Path.Combine(AppContext.BaseDirectory, "data"));
        if (builder.Configuration["Switchboard:Registry:Sqlite:Path"] is null)
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Switchboard:Registry:Sqlite:Path"] = Path.Combine(dataDirectory, "switchboard.db"),
            });
        }

        builder.Services.AddSingleton(new ConnectionTable(Path.Combine(dataDirectory, ConnectionTable.FileName)));
        builder.Services.AddSingleton(new ManagementEndpointResolver(settings.ManagementEndpoint));
        builder.Services.AddHttpClient(ApiGatewayManagementApiClientFactory.HttpClientName);
        builder.Services.AddSingleton<ApiGatewayManagementApiClientFactory>();

        builder.Services.AddSwitchboard(builder.Configuration)
            .AddSqliteRegistry()
            .AddRouteHandler<ConnectHandler>("seed.connect")
            .AddRouteHandler<DisconnectHandler>("seed.disconnect")
            .AddRouteHandler<SendHandler>("seed.send");

        var app = builder.Build();
        app.Services.GetRequiredService<ConnectionTable>().EnsureCreated();
        app.MapSwitchboard();
        return app;
    }
}

/// <summary>The <c>SeedApp</c> configuration section.</summary>
public sealed class SeedAppOptions
{
    /// <summary>Where the SQLite files are kept; default <c>data/</c> next to the executable.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>
    /// The management API endpoint the send handler posts to (<c>http://host:port/stage</c>); by default it is
    /// taken from the event, <c>http://{domainName}/{stage}</c>, as the Lambda function does.
    /// </summary>
    public Uri? ManagementEndpoint { get; set; }
}
