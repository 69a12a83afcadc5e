namespace Switchboard.Configuration;

/// <summary>
/// The checks of <c>Switchboard:Management:Authentication</c>. Errors name the key and never print a secret or an API
/// key: a credential's access key id is not secret, so it is named; an API key is named by its index only.
/// </summary>
internal static class ManagementAuthenticationValidation
{
    /// <summary>Shorter API keys are refused: a key is the only thing between a caller and every connection.</summary>
    public const int MinApiKeyLength = 16;

    private const string Key = "Management:Authentication";

    public static void Validate(ManagementAuthenticationOptions options, Action<string, string> error)
    {
        foreach (var (accessKeyId, secret) in options.Credentials)
        {
            if (!accessKeyId.All(char.IsAsciiLetterOrDigit))
            {
                error($"{Key}:Credentials:{accessKeyId}", "an access key id has letters and digits only (it is the first part of the signature's Credential=…/…)");
            }

            if (string.IsNullOrWhiteSpace(secret))
            {
                error($"{Key}:Credentials:{accessKeyId}", "the secret access key must not be empty");
            }
        }

        for (var i = 0; i < options.ApiKeys.Count; i++)
        {
            var apiKey = options.ApiKeys[i] ?? "";
            if (apiKey.Length < MinApiKeyLength || apiKey.Any(c => c <= ' ' || c > '~'))
            {
                error($"{Key}:ApiKeys:{i}", $"an API key must be at least {MinApiKeyLength} printable ASCII characters without spaces (the key itself is not shown)");
            }
        }

        if (string.IsNullOrEmpty(options.Region) || !options.Region.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            error($"{Key}:Region", $"'{options.Region}' is not a region name (lowercase letters, digits and '-', as us-east-1)");
        }
    }
}
