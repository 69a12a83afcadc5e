using System.Text;
using System.Text.Json;
using Switchboard.Events;

namespace Switchboard.Integrations;

/// <summary>
/// Reads a backend's answer to a Lambda-proxy event — the <c>lambda</c> kind's Invoke API answer and the <c>http</c>
/// kind's answer alike — and tells a Lambda-proxy result (<c>{"statusCode":200,"headers":{},"body":"…"}</c>) from a
/// failed invocation in every shape real Lambda and its emulators produce (docs/aws-compatibility.md):
/// <list type="bullet">
/// <item>an <c>X-Amz-Function-Error: Handled|Unhandled</c> header (real Lambda, LocalStack: the status is 200);</item>
/// <item>a non-2xx status (Lambda service errors carry <c>x-amzn-ErrorType</c>; serverless-offline answers 500 for a
/// throwing handler);</item>
/// <item>a body <c>{"errorType", "errorMessage"}</c> without <c>statusCode</c> (the runtime interface emulator sends it
/// with 200 and no header);</item>
/// <item>the text <c>Task timed out after …</c> (the runtime interface emulator's timeout);</item>
/// <item>an empty body (a crashed runtime) — except where the caller accepts it as <c>{"statusCode":200}</c>.</item>
/// </list>
/// Failure details name the source and the error type, never the payload (it may hold user data).
/// </summary>
internal static class LambdaProxyAnswer
{
    /// <summary>Results larger than this are treated as failures rather than buffered.</summary>
    public const int MaxResultBytes = 10 * 1024 * 1024;

    public const string FunctionErrorHeader = "X-Amz-Function-Error";
    public const string ServiceErrorTypeHeader = "x-amzn-ErrorType";

    private static readonly byte[] TaskTimedOut = "Task timed out"u8.ToArray();

    /// <summary>
    /// Reads <paramref name="response"/>. For an authorizer event (<see cref="RouteEvent.IsAuthorizerRequest"/>) the body is
    /// passed on unread with the HTTP status, for the authorizer to read (a function error's <c>errorMessage</c> of
    /// <c>Unauthorized</c> means 401 there); otherwise it is classified by <see cref="Classify"/>.
    /// </summary>
    public static async Task<IntegrationResult> ReadAsync(HttpResponseMessage response, RouteEvent routeEvent, string source, bool emptyMeansOk, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var functionError = response.Headers.TryGetValues(FunctionErrorHeader, out var values) ? values.FirstOrDefault() : null;
        var errorType = response.Headers.TryGetValues(ServiceErrorTypeHeader, out var types) ? types.FirstOrDefault() : null;
        var passedToAuthorizer = routeEvent.IsAuthorizerRequest && errorType is null;
        if (!passedToAuthorizer && (!response.IsSuccessStatusCode || functionError is not null))
        {
            // The body is not needed to decide; it is not read, so a large error body costs nothing.
            return Classify(status, functionError, errorType, [], source, emptyMeansOk);
        }

        var payload = await Http.BoundedBody.ReadAsync(response.Content, MaxResultBytes, cancellationToken).ConfigureAwait(false);
        if (payload is null)
        {
            return IntegrationResult.Failure($"{source} answered more than {MaxResultBytes} bytes");
        }

        if (passedToAuthorizer)
        {
            return IntegrationResult.Success(new RouteResponse { StatusCode = status, Body = Encoding.UTF8.GetString(payload) });
        }

        return Classify(status, functionError, errorType, payload, source, emptyMeansOk);
    }

    /// <summary>
    /// Decides what an answer is: a failed invocation in any of the shapes above, or the Lambda-proxy result in
    /// <paramref name="payload"/>. <paramref name="emptyMeansOk"/>: an empty body is <c>{"statusCode":200}</c> (the
    /// <c>http</c> kind's convention) rather than a crashed runtime.
    /// </summary>
    public static IntegrationResult Classify(int status, string? functionError, string? serviceErrorType, ReadOnlySpan<byte> payload, string source, bool emptyMeansOk)
    {
        if (functionError is not null)
        {
            return IntegrationResult.Failure($"{source}: the function failed ({FunctionErrorHeader}: {functionError})");
        }

        if (status is < 200 or > 299)
        {
            var type = serviceErrorType is null ? "" : $" ({ServiceErrorTypeHeader}: {serviceErrorType})";
            return IntegrationResult.Failure($"{source} answered HTTP {status}{type}");
        }

        var trimmed = payload.Trim(" \t\r\n"u8);
        if (trimmed.IsEmpty)
        {
            return emptyMeansOk
                ? IntegrationResult.Success(RouteResponse.Ok)
                : IntegrationResult.Failure($"{source} answered an empty body (the function's runtime failed)");
        }

        if (trimmed.TrimStart((byte)'"').StartsWith(TaskTimedOut))
        {
            return IntegrationResult.Failure($"{source}: the function timed out (Task timed out)");
        }

        return ParseResult(trimmed, source);
    }

    /// <summary>
    /// Parses a Lambda-proxy result: <c>statusCode</c> (200 when absent), <c>body</c> (a non-string body is passed as
    /// its JSON text; <c>isBase64Encoded</c> decodes it), <c>headers</c>. An object carrying <c>errorMessage</c> or
    /// <c>errorType</c> and no <c>statusCode</c> is a function error.
    /// </summary>
    internal static IntegrationResult ParseResult(ReadOnlySpan<byte> payload, string source)
    {
        if (payload.Trim(" \t\r\n"u8).IsEmpty)
        {
            return IntegrationResult.Success(RouteResponse.Ok);
        }

        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return IntegrationResult.Failure($"{source} answered a JSON {root.ValueKind}, not a result object");
            }

            var hasStatusCode = root.TryGetProperty("statusCode", out var status);
            if (!hasStatusCode && (root.TryGetProperty("errorMessage", out _) || root.TryGetProperty("errorType", out _)))
            {
                var errorType = root.TryGetProperty("errorType", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString() : "no errorType";
                return IntegrationResult.Failure($"{source}: the function failed ({errorType})");
            }

            var statusCode = 200;
            if (hasStatusCode && !(status.ValueKind == JsonValueKind.Number && status.TryGetInt32(out statusCode)))
            {
                return IntegrationResult.Failure($"{source} answered a statusCode that is not an integer");
            }

            string? body = null;
            if (root.TryGetProperty("body", out var bodyElement))
            {
                body = bodyElement.ValueKind switch
                {
                    JsonValueKind.String => bodyElement.GetString(),
                    JsonValueKind.Null => null,
                    _ => bodyElement.GetRawText(),
                };
            }

            if (body is not null && root.TryGetProperty("isBase64Encoded", out var base64) && base64.ValueKind == JsonValueKind.True)
            {
                body = Encoding.UTF8.GetString(Convert.FromBase64String(body));
            }

            Dictionary<string, string>? responseHeaders = null;
            if (root.TryGetProperty("headers", out var headersElement) && headersElement.ValueKind == JsonValueKind.Object)
            {
                responseHeaders = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var header in headersElement.EnumerateObject())
                {
                    responseHeaders[header.Name] = header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText();
                }
            }

            return IntegrationResult.Success(new RouteResponse { StatusCode = statusCode, Body = body, Headers = responseHeaders });
        }
        catch (Exception exception) when (exception is JsonException or FormatException)
        {
            return IntegrationResult.Failure($"{source} answered a malformed result: {exception.Message}");
        }
    }
}
