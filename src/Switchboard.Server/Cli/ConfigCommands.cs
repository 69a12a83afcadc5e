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
            var (options, registry) = DefinitionValidation.Validate(configuration);
            output.WriteLine($"{file.FullName}: OK — stage '{options.Stage}', {options.Routes.Count} route(s), registry {registry.Provider}.");
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
