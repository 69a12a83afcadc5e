using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Switchboard.Configuration;

/// <summary>
/// Reports the keys of a package's part of the configuration that bind to nothing and the values that do not convert
/// (<see cref="ConfigurationShape"/>), as validation failures among the others, so that one run lists every problem.
/// </summary>
internal sealed class ConfigurationShapeValidator<TOptions>(IConfiguration configuration, SwitchboardConfigurationSection section, IEnumerable<SwitchboardConfigurationSection> sections)
    : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var errors = ConfigurationShape.Find(configuration, section, sections).Select(error => error.Text).ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Binds the part to <paramref name="options"/>, leaving out the values that do not convert (they are reported).</summary>
    public static void Bind(IConfiguration configuration, SwitchboardConfigurationSection section, IEnumerable<SwitchboardConfigurationSection> sections, TOptions options)
    {
        var part = configuration.GetSection(section.FullPath);
        var badValues = ConfigurationShape.Find(configuration, section, sections).Where(error => error.IsBadValue).Select(error => error.Path).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (badValues.Count > 0)
        {
            part = new ConfigurationBuilder()
                .AddInMemoryCollection(part.AsEnumerable().Where(entry => !badValues.Contains(entry.Key)))
                .Build()
                .GetSection(section.FullPath);
        }

        part.Bind(options);
    }
}
