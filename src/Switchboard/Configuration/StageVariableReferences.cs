using System.Text.RegularExpressions;

namespace Switchboard.Configuration;

/// <summary>
/// <c>${stageVariables.name}</c> references in integration settings (URLs, function names), as API Gateway resolves them
/// in integration URIs: replaced by the value from <c>Switchboard:StageVariables</c> once per configuration snapshot,
/// never per call. A name API Gateway accepts is letters, digits and '_'.
/// </summary>
internal static partial class StageVariableReferences
{
    /// <summary>
    /// <paramref name="template"/> with every reference to a defined variable replaced by its value; references to
    /// undefined variables are left as written, for <see cref="UndefinedNames"/> to report. Null stays null.
    /// </summary>
    public static string? Substitute(string? template, IReadOnlyDictionary<string, string> variables)
    {
        if (template is null || !template.Contains("${", StringComparison.Ordinal))
        {
            return template;
        }

        return Reference().Replace(template, match => variables.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value);
    }

    /// <summary>The names <paramref name="template"/> refers to that <paramref name="variables"/> does not define, in order of appearance.</summary>
    public static IEnumerable<string> UndefinedNames(string? template, IReadOnlyDictionary<string, string> variables) =>
        template is null
            ? []
            : Reference().Matches(template).Select(match => match.Groups[1].Value).Where(name => !variables.ContainsKey(name)).Distinct();

    /// <summary>
    /// Resolves the references in one integration's settings that name an endpoint. Integration kinds with other
    /// such settings (a function name) add them here, so that validation and <see cref="Integrations.IIntegrationKind.Create"/>
    /// see the values the calls will use.
    /// </summary>
    public static void Resolve(IntegrationOptions integration, IReadOnlyDictionary<string, string> variables)
    {
        integration.Uri = Substitute(integration.Uri, variables);
        integration.FunctionName = Substitute(integration.FunctionName, variables);
    }

    /// <summary>Resolves every route's and authorizer's integration settings; runs after binding, before validation.</summary>
    public static void ResolveAll(SwitchboardOptions options)
    {
        foreach (var route in options.Routes)
        {
            Resolve(route.Integration, options.StageVariables);
            if (route.Authorizer?.Integration is { } authorizerIntegration)
            {
                Resolve(authorizerIntegration, options.StageVariables);
            }
        }
    }

    [GeneratedRegex(@"\$\{stageVariables\.([A-Za-z0-9_]+)\}", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();
}
