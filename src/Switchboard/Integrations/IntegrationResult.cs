namespace Switchboard.Integrations;

/// <summary>The result of one integration call.</summary>
/// <param name="Outcome">How the call ended.</param>
/// <param name="Response">The backend's answer when <paramref name="Outcome"/> is Succeeded.</param>
/// <param name="FailureDetail">What went wrong, for logs (never sent to clients).</param>
public sealed record IntegrationResult(IntegrationOutcome Outcome, RouteResponse? Response, string? FailureDetail)
{
    /// <summary>A successful call with the backend's response.</summary>
    public static IntegrationResult Success(RouteResponse response) => new(IntegrationOutcome.Succeeded, response, null);

    /// <summary>A failed call.</summary>
    public static IntegrationResult Failure(string detail) => new(IntegrationOutcome.Failed, null, detail);

    /// <summary>
    /// A failed call that never reached the backend because the route's concurrency limit was full: the gateway logs
    /// these at most once a minute per route, since under overload there is one per message.
    /// </summary>
    internal static IntegrationResult Refusal(string detail) => new(IntegrationOutcome.Failed, null, detail) { IsRefusal = true };

    /// <summary>See <see cref="Refusal"/>.</summary>
    internal bool IsRefusal { get; private init; }

    /// <summary>A call that outlived its timeout.</summary>
    public static IntegrationResult Timeout(TimeSpan timeout) =>
        new(IntegrationOutcome.TimedOut, null, $"no answer within {timeout.TotalMilliseconds:0} ms");
}
