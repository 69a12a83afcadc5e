namespace Switchboard.Configuration;

/// <summary>The checks of <c>Switchboard:StageVariables</c> and of the references to them, part of <see cref="SwitchboardOptionsValidator"/>.</summary>
internal static class StageVariablesValidation
{
    public static void Validate(SwitchboardOptions options, Action<string, string> error)
    {
        foreach (var name in options.StageVariables.Keys)
        {
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                error($"StageVariables:{name}", $"'{name}' is not a valid stage variable name (letters, digits and '_', as API Gateway requires)");
            }
        }

        for (var i = 0; i < options.Routes.Count; i++)
        {
            var route = options.Routes[i];
            References($"Routes:{i}:Integration", route.Integration, options.StageVariables, error);
            if (route.Authorizer is { } authorizer)
            {
                References($"Routes:{i}:Authorizer:Integration", authorizer.Integration, options.StageVariables, error);
            }
        }
    }

    /// <summary>A reference to an undefined variable would reach the backend as literal text: refused at startup instead.</summary>
    private static void References(string key, IntegrationOptions integration, IReadOnlyDictionary<string, string> variables, Action<string, string> error)
    {
        foreach (var (setting, value) in (ReadOnlySpan<(string, string?)>)[("Uri", integration.Uri), ("FunctionName", integration.FunctionName)])
        {
            foreach (var name in StageVariableReferences.UndefinedNames(value, variables))
            {
                error($"{key}:{setting}", $"refers to ${{stageVariables.{name}}}, but Switchboard:StageVariables defines no '{name}'{Suggestion.For(name, variables.Keys)}");
            }
        }
    }
}
