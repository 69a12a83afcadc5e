using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Management;

/// <summary>
/// An error answer of the management API in the shape the AWS SDKs recognise: the status, the error's type in
/// <c>x-amzn-ErrorType</c>, and either no body (as API Gateway sends 403, 410 and 429) or <c>{"message":"…"}</c>.
/// </summary>
/// <param name="StatusCode">The HTTP status.</param>
/// <param name="ErrorType">The AWS error type, e.g. <c>ForbiddenException</c>; SDKs raise the exception of that name.</param>
/// <param name="Message">The body's message; no body when null.</param>
public sealed record ManagementError(int StatusCode, string ErrorType, string? Message = null)
{
    /// <summary>403 <c>ForbiddenException</c> with no body: what API Gateway answers a caller it does not serve.</summary>
    public static ManagementError Forbidden { get; } = new(StatusCodes.Status403Forbidden, "ForbiddenException");

    /// <summary>410 <c>GoneException</c>: the connection is not open.</summary>
    internal static ManagementError Gone { get; } = new(StatusCodes.Status410Gone, "GoneException");

    /// <summary>429 <c>LimitExceededException</c>: the connection's outbound queue is full.</summary>
    internal static ManagementError LimitExceeded { get; } = new(StatusCodes.Status429TooManyRequests, "LimitExceededException");

    /// <summary>400 <c>BadRequestException</c> with <paramref name="message"/>.</summary>
    public static ManagementError BadRequest(string message) => new(StatusCodes.Status400BadRequest, "BadRequestException", message);

    /// <summary>503 <c>ServiceUnavailableException</c>: the outcome is unknown (the registry, the backplane or the owning node did not answer); SDKs retry it.</summary>
    internal static ManagementError ServiceUnavailable(string message) => new(StatusCodes.Status503ServiceUnavailable, "ServiceUnavailableException", message);

    /// <summary>Writes this error as the answer to <paramref name="context"/>'s request.</summary>
    internal Task WriteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCode;
        response.Headers["x-amzn-ErrorType"] = ErrorType;
        if (Message is null)
        {
            return Task.CompletedTask;
        }

        // Written without a length (sent chunked), as error bodies always were.
        response.ContentType = "application/json";
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorBody(Message), ManagementJsonContext.Default.ErrorBody);
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
