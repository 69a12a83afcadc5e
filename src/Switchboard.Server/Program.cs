using Switchboard.Server;
using Switchboard.Server.Cli;

// `switchboard <command> …` runs a management command; anything else runs the gateway.
return CommandLine.IsCommand(args)
    ? await CommandLine.RunAsync(args).ConfigureAwait(false)
    : await GatewayHost.RunAsync(args).ConfigureAwait(false);
