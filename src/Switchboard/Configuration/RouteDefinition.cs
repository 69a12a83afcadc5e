namespace Switchboard.Configuration;

/// <summary>One route of the API definition.</summary>
public sealed class RouteDefinition
{
    /// <summary><c>$connect</c>, <c>$disconnect</c>, <c>$default</c>, or a custom key (must not start with <c>$</c>). Case-sensitive.</summary>
    public string RouteKey { get; set => field = value ?? ""; } = "";

    /// <summary>The backend this route invokes.</summary>
    public IntegrationOptions Integration { get; set; } = new();

    /// <summary>
    /// A two-way route sends the integration's response body back to the calling client as one
    /// text frame (API Gateway's route response with key <c>$default</c>). Ignored on <c>$connect</c> and <c>$disconnect</c>.
    /// </summary>
    public bool TwoWay { get; set; }

    /// <summary>Only on <c>$connect</c>: who may connect, decided before the integration runs. Null: everyone.</summary>
    public AuthorizerOptions? Authorizer { get; set; }
}
