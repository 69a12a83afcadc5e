using Switchboard.Configuration;

namespace Switchboard.Integrations;

/// <summary>
/// A kind of integration a route can name in <c>Integration:Type</c> (<c>http</c>, <c>inprocess</c>, or one an
/// application adds with <c>AddIntegrationKind</c>). One instance per kind, from DI; it checks each route's settings
/// at startup and creates the route's <see cref="IRouteIntegration"/> once.
/// </summary>
public interface IIntegrationKind
{
    /// <summary>What is wrong with a route's integration settings; empty when <see cref="Create"/> can use them.</summary>
    IEnumerable<IntegrationSettingError> Validate(IntegrationOptions integration);

    /// <summary>The integration for one route, from settings that passed <see cref="Validate"/>.</summary>
    IRouteIntegration Create(IntegrationOptions integration);
}

/// <summary>A problem with one integration setting.</summary>
/// <param name="Key">The setting's key below the route's <c>Integration</c> section, e.g. <c>Uri</c>.</param>
/// <param name="Message">What is wrong, for the operator.</param>
public sealed record IntegrationSettingError(string Key, string Message);
