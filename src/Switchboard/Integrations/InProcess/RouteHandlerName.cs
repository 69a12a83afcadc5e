namespace Switchboard.Integrations.InProcess;

/// <summary>A name registered with <c>AddRouteHandler</c>: keyed services cannot be listed, and a mistyped name deserves a suggestion.</summary>
internal sealed record RouteHandlerName(string Name);
