using System.CommandLine;

namespace Switchboard.Server.Cli;

/// <summary>
/// The <c>switchboard</c> management commands — the seed's "send" function done natively. They talk to a
/// running gateway through its management API, so they work against any node of a cluster.
/// </summary>
internal static class CommandLine
{
    public const string EndpointVariable = "SWITCHBOARD_ENDPOINT";
    public const string DefaultEndpoint = "http://127.0.0.1:8080/production";

    private static readonly string[] Commands = ["send", "broadcast", "connections", "config", "help", "--help", "-h", "-?", "--version"];

    /// <summary>
    /// True when <paramref name="args"/> name a command rather than the gateway's options. The gateway takes only options
    /// (<c>--urls …</c>, <c>--definition …</c>) and configuration keys (<c>Switchboard:Stage=dev</c>, <c>/key value</c>), so a
    /// bare first word is a command, and a mistyped one (<c>sendd</c>) is reported as an error instead of starting a gateway.
    /// </summary>
    public static bool IsCommand(string[] args) =>
        args.Length > 0
        && (Commands.Contains(args[0], StringComparer.Ordinal)
            || (args[0].Length > 0 && args[0][0] is not ('-' or '/') && !args[0].Contains('=', StringComparison.Ordinal) && !args[0].Contains(':', StringComparison.Ordinal)));

    public static Task<int> RunAsync(string[] args) => BuildRoot(Console.Out, Console.Error).Parse(args is ["help", .. var rest] ? [.. rest, "--help"] : args).InvokeAsync();

    public static RootCommand BuildRoot(TextWriter output, TextWriter error)
    {
        var endpoint = new Option<string>("--endpoint", "-e")
        {
            Description = $"The gateway's management endpoint: http://host:port/stage (default: ${EndpointVariable} or {DefaultEndpoint})",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(EndpointVariable) is { Length: > 0 } value ? value : DefaultEndpoint,
        };

        var root = new RootCommand("Switchboard: a WebSocket gateway compatible with API Gateway WebSocket APIs. Run without a command to start the gateway.");
        root.Options.Add(endpoint);

        var sendId = new Argument<string>("connectionId") { Description = "The connection to send to" };
        var sendMessage = new Argument<string>("message") { Description = "The message text" };
        var send = new Command("send", "Send a message to one connection (PostToConnection)") { sendId, sendMessage };
        send.SetAction((result, cancellationToken) =>
            ManagementCommands.SendAsync(Client(result, endpoint), result.GetValue(sendId)!, result.GetValue(sendMessage)!, output, error, cancellationToken));
        root.Subcommands.Add(send);

        var broadcastMessage = new Argument<string>("message") { Description = "The message text" };
        var broadcast = new Command("broadcast", "Send a message to every open connection") { broadcastMessage };
        broadcast.SetAction((result, cancellationToken) =>
            ManagementCommands.BroadcastAsync(Client(result, endpoint), result.GetValue(broadcastMessage)!, output, error, cancellationToken));
        root.Subcommands.Add(broadcast);

        var json = new Option<bool>("--json") { Description = "Print the connections as JSON lines" };
        var connections = new Command("connections", "List open connections (id, connected at, last active, source ip)") { json };
        connections.SetAction((result, cancellationToken) =>
            ManagementCommands.ListAsync(Client(result, endpoint), result.GetValue(json), output, error, cancellationToken));
        root.Subcommands.Add(connections);

        var file = new Argument<FileInfo>("file") { Description = "The API definition file to check" };
        var check = new Command("check", "Validate an API definition file and list every error") { file };
        check.SetAction(result => ConfigCommands.Check(result.GetValue(file)!, output, error));
        root.Subcommands.Add(new Command("config", "Work with API definition files") { check });
        return root;
    }

    private static ManagementClient Client(ParseResult result, Option<string> endpoint) => new(result.GetValue(endpoint)!);
}
