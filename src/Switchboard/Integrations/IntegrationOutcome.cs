namespace Switchboard.Integrations;

/// <summary>How an integration call ended.</summary>
public enum IntegrationOutcome
{
    /// <summary>The backend answered with a well-formed result (any status code).</summary>
    Succeeded,

    /// <summary>The backend failed, was unreachable or answered something that is not a result.</summary>
    Failed,

    /// <summary>The backend did not answer within the integration timeout.</summary>
    TimedOut,
}
