using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Switchboard.Configuration;

namespace Switchboard.Redis;

/// <summary>Checks that <c>Switchboard:Registry:Configuration</c> is a configuration string StackExchange.Redis accepts.</summary>
internal sealed class RedisOptionsValidator : IValidateOptions<SwitchboardOptions>
{
    public ValidateOptionsResult Validate(string? name, SwitchboardOptions options)
    {
        var registry = options.Registry;
        if (!registry.Provider.Equals("redis", StringComparison.OrdinalIgnoreCase) || string.IsNullOrWhiteSpace(registry.Configuration))
        {
            return ValidateOptionsResult.Success;
        }

        try
        {
            var parsed = ConfigurationOptions.Parse(registry.Configuration);
            return parsed.EndPoints.Count == 0
                ? ValidateOptionsResult.Fail($"{SwitchboardOptions.SectionName}:Registry:Configuration: '{registry.Configuration}' names no Redis endpoint (host:port)")
                : ValidateOptionsResult.Success;
        }
        catch (ArgumentException exception)
        {
            return ValidateOptionsResult.Fail($"{SwitchboardOptions.SectionName}:Registry:Configuration: not a valid StackExchange.Redis configuration string: {exception.Message}");
        }
    }
}
