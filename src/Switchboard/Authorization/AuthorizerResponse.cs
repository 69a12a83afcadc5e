using System.Text;
using System.Text.Json;
using Switchboard.Events;
using Switchboard.Integrations;

namespace Switchboard.Authorization;

/// <summary>
/// Reads what a REQUEST authorizer answered, as API Gateway does: <c>principalId</c>, an IAM <c>policyDocument</c>
/// whose <c>execute-api:Invoke</c> statements are matched against the method ARN (a matching Deny wins, then a
/// matching Allow; nothing matching is a Deny), and an optional flat <c>context</c>. <c>Unauthorized</c> (a Lambda
/// error with that message, that text, or an HTTP 401 from an HTTP authorizer) refuses with 401; anything else that is
/// not a valid result with 500.
/// </summary>
internal static class AuthorizerResponse
{
    /// <summary>API Gateway's limit on the authorizer's whole result.</summary>
    public const int MaxResultBytes = 8 * 1024;

    private const string UnauthorizedMessage = "Unauthorized";
    private const string InvokeAction = "execute-api:Invoke";

    public static AuthorizerDecision Evaluate(IntegrationResult result, string methodArn, long latencyMs)
    {
        ArgumentNullException.ThrowIfNull(result);
        switch (result.Outcome)
        {
            case IntegrationOutcome.TimedOut:
                return AuthorizerDecision.Failed($"the authorizer timed out ({result.FailureDetail})");
            case IntegrationOutcome.Failed:
                return AuthorizerDecision.Failed($"the authorizer failed ({result.FailureDetail})");
        }

        var response = result.Response!;
        var body = response.Body ?? "";
        if (response.StatusCode == 401 || body.Trim() == UnauthorizedMessage)
        {
            return AuthorizerDecision.Unauthorized("the authorizer answered Unauthorized");
        }

        if (!response.IsSuccessStatusCode)
        {
            return AuthorizerDecision.Failed($"the authorizer answered HTTP {response.StatusCode}");
        }

        if (Encoding.UTF8.GetByteCount(body) > MaxResultBytes)
        {
            return AuthorizerDecision.Failed($"the authorizer's result is larger than {MaxResultBytes} bytes");
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            return Evaluate(document.RootElement, methodArn, latencyMs);
        }
        catch (JsonException exception)
        {
            return AuthorizerDecision.Failed($"the authorizer's result is not JSON: {exception.Message}");
        }
    }

    private static AuthorizerDecision Evaluate(JsonElement root, string methodArn, long latencyMs)
    {
        if (IsUnauthorized(root))
        {
            return AuthorizerDecision.Unauthorized("the authorizer answered Unauthorized");
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return AuthorizerDecision.Failed($"the authorizer's result is a JSON {root.ValueKind}, not an object");
        }

        if (root.TryGetProperty("errorMessage", out _))
        {
            return AuthorizerDecision.Failed("the authorizer answered an error");
        }

        if (!root.TryGetProperty("principalId", out var principal) || principal.ValueKind != JsonValueKind.String)
        {
            return AuthorizerDecision.Failed("the authorizer's result has no principalId string");
        }

        if (!root.TryGetProperty("policyDocument", out var policy))
        {
            return AuthorizerDecision.Failed("the authorizer's result has no policyDocument");
        }

        if (!TryEvaluatePolicy(policy, methodArn, out var effect, out var policyError))
        {
            return AuthorizerDecision.Failed($"the authorizer's policyDocument is not valid: {policyError}");
        }

        List<KeyValuePair<string, JsonElement>> context = [];
        if (root.TryGetProperty("context", out var contextElement) && contextElement.ValueKind != JsonValueKind.Null)
        {
            if (contextElement.ValueKind != JsonValueKind.Object)
            {
                return AuthorizerDecision.Failed("the authorizer's context is not an object");
            }

            foreach (var entry in contextElement.EnumerateObject())
            {
                if (entry.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False))
                {
                    return AuthorizerDecision.Failed($"the authorizer's context value '{entry.Name}' is a JSON {entry.Value.ValueKind}; only strings, numbers and booleans are allowed");
                }

                if (!AuthorizerContext.IsReservedKey(entry.Name))
                {
                    context.Add(new(entry.Name, entry.Value.Clone()));
                }
            }
        }

        return effect switch
        {
            PolicyEffect.Allow => AuthorizerDecision.Allow(new AuthorizerContext(principal.GetString()!, context, latencyMs)),
            PolicyEffect.Deny => AuthorizerDecision.Forbidden($"the policy denies {methodArn}"),
            _ => AuthorizerDecision.Forbidden($"no statement of the policy allows {methodArn}"),
        };
    }

    /// <summary>A Lambda error whose message is <c>Unauthorized</c> (<c>{"errorMessage":"Unauthorized",…}</c>) or that JSON string.</summary>
    private static bool IsUnauthorized(JsonElement root) =>
        (root.ValueKind == JsonValueKind.String && root.GetString() == UnauthorizedMessage)
        || (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("errorMessage", out var message)
            && message.ValueKind == JsonValueKind.String && message.GetString() == UnauthorizedMessage);

    /// <summary>The policy's effect on <paramref name="methodArn"/>; false with a reason when it is not a valid IAM policy.</summary>
    internal static bool TryEvaluatePolicy(JsonElement policy, string methodArn, out PolicyEffect effect, out string? error)
    {
        effect = PolicyEffect.NoMatch;
        error = null;
        if (policy.ValueKind != JsonValueKind.Object || !policy.TryGetProperty("Statement", out var statements))
        {
            error = "no Statement";
            return false;
        }

        IEnumerable<JsonElement> list = statements.ValueKind switch
        {
            JsonValueKind.Array => statements.EnumerateArray(),
            JsonValueKind.Object => [statements],
            _ => [],
        };
        if (statements.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
        {
            error = "Statement is neither a list nor an object";
            return false;
        }

        foreach (var statement in list)
        {
            if (statement.ValueKind != JsonValueKind.Object
                || !statement.TryGetProperty("Effect", out var effectElement)
                || effectElement.GetString() is not ("Allow" or "Deny")
                || !TryReadStrings(statement, "Action", out var actions)
                || !TryReadStrings(statement, "Resource", out var resources))
            {
                error = "a statement lacks Effect (Allow or Deny), Action or Resource";
                return false;
            }

            var applies = actions.Any(action => ArnPattern.Glob(action, InvokeAction, ignoreCase: true))
                && resources.Any(resource => ArnPattern.Matches(resource, methodArn));
            if (!applies)
            {
                continue;
            }

            if (effectElement.GetString() == "Deny")
            {
                effect = PolicyEffect.Deny;
            }
            else if (effect == PolicyEffect.NoMatch)
            {
                effect = PolicyEffect.Allow;
            }
        }

        return true;
    }

    /// <summary>IAM lets <c>Action</c> and <c>Resource</c> be one string or a list of strings.</summary>
    private static bool TryReadStrings(JsonElement statement, string name, out List<string> values)
    {
        values = [];
        if (!statement.TryGetProperty(name, out var element))
        {
            return false;
        }

        if (element.ValueKind == JsonValueKind.String)
        {
            values.Add(element.GetString()!);
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            values.Add(item.GetString()!);
        }

        return values.Count > 0;
    }
}

/// <summary>What a policy says about one ARN.</summary>
internal enum PolicyEffect
{
    NoMatch,
    Allow,
    Deny,
}
