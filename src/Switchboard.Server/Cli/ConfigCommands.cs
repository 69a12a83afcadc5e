using Microsoft.Extensions.Options;
using Switchboard.Configuration;

namespace Switchboard.Server.Cli;

/// <summary><c>switchboard config check</c>: the same binding and validation the gateway does at startup.</summary>
internal static class ConfigCommands
{
    public static int Check(FileInfo file, TextWriter output, TextWriter error)
    {
        if (!file.Exists)
        {
            error.WriteLine($"{file.FullName}: no such file.");
            return 2;
        }

        try
        {
            var configuration = new ConfigurationManager();
            ConfigurationError.AddDefinitionFile(configuration, file.FullName);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSwitchboardServer(configuration);
            using var provider = services.BuildServiceProvider();
            // Every options class checked at startup (the gateway's, the registry's), all reported together.
            provider.GetRequiredService<IStartupValidator>().Validate();
            var options = provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
            output.WriteLine($"{file.FullName}: OK — stage '{options.Stage}', {options.Routes.Count} route(s), registry {provider.GetRequiredService<IOptions<ServerRegistryOptions>>().Value.Provider}.");
            return 0;
        }
        catch (Exception exception) when (ConfigurationError.TryDescribe(exception, configuration: null, out var description))
        {
            error.WriteLine($"{file.FullName}:");
            error.WriteLine(description.Replace("Switchboard cannot start: ", "", StringComparison.Ordinal));
            return 2;
        }
    }
}
