namespace Switchboard.Integrations;

/// <summary>A registered integration kind's name: the key its <see cref="IIntegrationKind"/> is registered under, listed in errors.</summary>
internal sealed record IntegrationKindName(string Name)
{
    /// <summary>Kind names are matched without regard to case (<c>HTTP</c> is <c>http</c>).</summary>
    public static string Normalize(string name) => name.Trim().ToLowerInvariant();
}
