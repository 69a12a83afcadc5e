using Switchboard.Server.Cli;

// `switchboard <command> …` runs a management command; without one it runs the gateway. Either way the command line is
// checked first: a mistyped command or option is an error with a suggestion, never a gateway start.
return await CommandLine.RunAsync(args).ConfigureAwait(false);
