using Microsoft.Extensions.Options;
using Switchboard.Configuration;

namespace Switchboard.Server;

/// <summary>
/// The binding and validation the gateway does at startup, run on its own throwaway services: for <c>config check</c>
/// and for a reloaded definition, so that both accept and refuse exactly what startup does.
/// </summary>
internal static class DefinitionValidation
{
    /// <summary>Binds and validates every options class checked at startup (the gateway's, the registry's, ...), all reported together.</summary>
    /// <exception cref="OptionsValidationException">Or an <see cref="AggregateException"/> of them: the errors, by key path.</exception>
    public static (SwitchboardOptions Gateway, ServerRegistryOptions Registry) Validate(IConfiguration configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSwitchboardServer(configuration);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return (provider.GetRequiredService<IOptions<SwitchboardOptions>>().Value, provider.GetRequiredService<IOptions<ServerRegistryOptions>>().Value);
    }
}
