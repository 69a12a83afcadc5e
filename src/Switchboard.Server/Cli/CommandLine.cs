using System.CommandLine;
using Switchboard.Configuration;

namespace Switchboard.Server.Cli;

/// <summary>
/// The <c>switchboard</c> management commands — the seed's "send" function done natively. They talk to a
/// running gateway through its management API, so they work against any node of a cluster.
/// </summary>
internal static class CommandLine
{
    public const string EndpointVariable = "SWITCHBOARD_ENDPOINT";
    public const string DefaultEndpoint = "http://127.0.0.1:8080/production";

    /// <summary>Exit code of a command line the program does not understand, and of a configuration it refuses.</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Configuration sections the gateway reads from the command line (<c>--Switchboard:Stage=dev</c>): keys below them
    /// are checked with the configuration (unknown keys are startup errors), not here.
    /// </summary>
    private static readonly string[] ConfigurationSections = ["Switchboard", "Logging", "Kestrel"];

    /// <summary>ASP.NET Core's own top-level keys, passed to the gateway as they are (<c>--AllowedHosts=…</c>).</summary>
    private static readonly string[] HostKeys = ["AllowedHosts", "http_ports", "https_ports", "contentRoot", "applicationName"];

    private const string Description = """
        Switchboard: a WebSocket gateway compatible with API Gateway WebSocket APIs.

        Without a command it runs the gateway:
          switchboard [--definition <file>] [--watch] [--urls <urls>] [--Switchboard:<key>=<value> ...]
        Any configuration key can be set as --Switchboard:<key>=<value> (docs/switchboard.reference.json lists them),
        and so can --Logging:… and --Kestrel:… and ASP.NET Core's AllowedHosts.

        Exit codes: 0 success; 1 the gateway refused a command (410 Gone, 403 Forbidden, ...);
        2 a command line or configuration the program does not accept (nothing started); 3 the gateway is unreachable.
        """;

    /// <summary>Runs a command, or the gateway when there is none; <paramref name="args"/> go to the gateway unchanged.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var parsed = Parse(args, Console.Out, Console.Error, () => GatewayHost.RunAsync(args));
        if (parsed.Errors.Count == 0)
        {
            // No signal handling by System.CommandLine: by default it ends the process 2 s after SIGTERM or SIGINT, in
            // the middle of the gateway's drain (up to Limits:ShutdownTimeout). The host handles those signals itself.
            return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
        }

        await Console.Error.WriteLineAsync(DescribeErrors(parsed)).ConfigureAwait(false);
        return UsageError;
    }

    /// <summary>
    /// The first thing the program did not understand, with the nearest command or option it has: later tokens are
    /// usually that mistake's value (<c>--defintion api.json</c>), and guessing at them only confuses.
    /// </summary>
    public static string DescribeErrors(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var names = command.Options.SelectMany(option => option.Aliases.Prepend(option.Name))
            .Concat(command.Subcommands.Select(subcommand => subcommand.Name));
        string text;
        if (parsed.UnmatchedTokens.Count == 0)
        {
            text = "switchboard: " + parsed.Errors[0].Message;
        }
        else if (ConfigurationKey(parsed.UnmatchedTokens[0]) is { } key && !IsGatewayConfiguration(key))
        {
            text = $"switchboard: '{parsed.UnmatchedTokens[0]}' sets no configuration the gateway reads (its sections: {string.Join(", ", ConfigurationSections)}){Suggestion.For(key.Split(':')[0], ConfigurationSections)}.";
        }
        else
        {
            text = $"switchboard: '{parsed.UnmatchedTokens[0]}' is not a command or option here{Suggestion.For(parsed.UnmatchedTokens[0], names)}.";
        }

        return text + Environment.NewLine + "Run 'switchboard --help' for the commands and the gateway's options.";
    }

    /// <summary>
    /// Parses <paramref name="args"/>: the configuration overrides the gateway takes (<c>--Switchboard:Stage=dev</c>) are
    /// set aside first, since they are not options of this program; everything else must be a command or an option.
    /// </summary>
    public static ParseResult Parse(string[] args, TextWriter output, TextWriter error, Func<Task<int>> runGateway)
    {
        var tokens = WithoutConfigurationOverrides(args);
        return BuildRoot(output, error, runGateway).Parse(tokens is ["help", .. var rest] ? [.. rest, "--help"] : tokens);
    }

    private static List<string> WithoutConfigurationOverrides(string[] args)
    {
        var tokens = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (ConfigurationKey(args[i]) is { } key && IsGatewayConfiguration(key))
            {
                // --Key value: the value is the next token.
                if (!args[i].Contains('=', StringComparison.Ordinal) && i + 1 < args.Length)
                {
                    i++;
                }

                continue;
            }

            tokens.Add(args[i]);
        }

        return tokens;
    }

    /// <summary>The key of <c>--Key=value</c>, <c>--Key value</c> or <c>/Key value</c> when it names a configuration path.</summary>
    private static string? ConfigurationKey(string token)
    {
        var prefix = token.StartsWith("--", StringComparison.Ordinal) ? 2 : token.StartsWith('/') ? 1 : 0;
        if (prefix == 0)
        {
            return null;
        }

        var key = token[prefix..].Split('=', 2)[0];
        return key.Contains(':', StringComparison.Ordinal) || HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase) ? key : null;
    }

    private static bool IsGatewayConfiguration(string key) =>
        HostKeys.Contains(key, StringComparer.OrdinalIgnoreCase)
        || ConfigurationSections.Contains(key.Split(':')[0], StringComparer.OrdinalIgnoreCase);

    private static RootCommand BuildRoot(TextWriter output, TextWriter error, Func<Task<int>> runGateway)
    {
        var root = new RootCommand(Description) { HelpName = "switchboard" };
        var definition = new Option<string>("--definition")
        {
            Description = $"The API definition file (JSON): stage, routes, limits (default: ${GatewayHost.DefinitionVariable}, else the demo API next to the program)",
            HelpName = "file",
        };
        var urls = new Option<string>("--urls") { Description = "Where the gateway listens (default: http://127.0.0.1:8080; loopback unless you say otherwise)", HelpName = "urls" };
        var environment = new Option<string>("--environment") { Description = "The ASP.NET Core environment (appsettings.{environment}.json)", HelpName = "name" };
        var watch = new Option<bool>(GatewayHost.WatchOption)
        {
            Description = "Apply changes to the definition file's routes, stage variables and limits without a restart (invalid changes are logged and ignored; docs/configuration.md lists what reloads)",
        };
        root.Options.Add(definition);
        root.Options.Add(watch);
        root.Options.Add(urls);
        root.Options.Add(environment);
        root.SetAction(_ => runGateway());

        var endpoint = new Option<string>("--endpoint", "-e")
        {
            Description = $"The gateway's management endpoint: http://host:port/stage (default: ${EndpointVariable} or {DefaultEndpoint})",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } value ? value : DefaultEndpoint,
        };

        var apiKey = new Option<string?>("--api-key")
        {
            Description = $"An API key the gateway accepts (default: ${ManagementAuthentication.ApiKeyVariable}); without one, calls are signed with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN, AWS_REGION) when those are set",
            HelpName = "key",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(ManagementAuthentication.ApiKeyVariable),
        };

        var sendId = new Argument<string>("connectionId") { Description = "The connection to send to" };
        var sendMessage = new Argument<string>("message") { Description = "The message text" };
        var send = new Command("send", "Send a message to one connection (PostToConnection)") { sendId, sendMessage, endpoint, apiKey };
        send.SetAction((result, cancellationToken) =>
            ManagementCommands.SendAsync(Client(result, endpoint, apiKey), result.GetValue(sendId)!, result.GetValue(sendMessage)!, output, error, cancellationToken));
        root.Subcommands.Add(send);

        var broadcastMessage = new Argument<string>("message") { Description = "The message text" };
        var broadcast = new Command("broadcast", "Send a message to every open connection") { broadcastMessage, endpoint, apiKey };
        broadcast.SetAction((result, cancellationToken) =>
            ManagementCommands.BroadcastAsync(Client(result, endpoint, apiKey), result.GetValue(broadcastMessage)!, output, error, cancellationToken));
        root.Subcommands.Add(broadcast);

        var json = new Option<bool>("--json") { Description = "Print the connections as JSON lines" };
        var connections = new Command("connections", "List open connections (id, connected at, last active, source ip)") { json, endpoint, apiKey };
        connections.SetAction((result, cancellationToken) =>
            ManagementCommands.ListAsync(Client(result, endpoint, apiKey), result.GetValue(json), output, error, cancellationToken));
        root.Subcommands.Add(connections);

        var file = new Argument<FileInfo>("file") { Description = "The API definition file to check" };
        var check = new Command("check", "Validate an API definition file and list every error (exit code 2 when there is one)") { file };
        check.SetAction(result => ConfigCommands.Check(result.GetValue(file)!, output, error));
        root.Subcommands.Add(new Command("config", "Work with API definition files") { check });
        return root;
    }

    private static ManagementClient Client(ParseResult result, Option<string> endpoint, Option<string?> apiKey) =>
        new(result.GetValue(endpoint)!, ManagementAuthentication.From(result.GetValue(apiKey), Environment.GetEnvironmentVariable));
}
