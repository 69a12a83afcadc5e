using System.Net;
using System.Net.Http.Headers;

namespace SeedApp.Management;

/// <summary>
/// A small typed client of API Gateway's management API (<c>POST {ServiceURL}/@connections/{id}</c>),
/// standing in for <c>AmazonApiGatewayManagementApiClient</c> of the AWS SDK for .NET (the package
/// AWSSDK.ApiGatewayManagementApi is not available to this build). The operation the send function uses, with the SDK's error types by name: a 410
/// throws <see cref="GoneException"/>, other failures <see cref="ApiGatewayManagementApiException"/> with the
/// <c>x-amzn-ErrorType</c> the service sent. Requests are not SigV4-signed (Switchboard does not verify signatures).
/// </summary>
public sealed class ApiGatewayManagementApiClient
{
    private static readonly MediaTypeHeaderValue OctetStream = new("application/octet-stream");
    private readonly HttpClient _http;

    /// <param name="http">The HTTP client (from <see cref="IHttpClientFactory"/>).</param>
    /// <param name="serviceUrl">The stage's endpoint, <c>http://host:port/stage</c> (the SDK's <c>ServiceURL</c>).</param>
    public ApiGatewayManagementApiClient(HttpClient http, Uri serviceUrl)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(serviceUrl);
        _http = http;
        ServiceUrl = serviceUrl.AbsoluteUri.EndsWith('/') ? serviceUrl : new Uri(serviceUrl.AbsoluteUri + "/");
    }

    /// <summary>The stage endpoint, ending in <c>/</c>.</summary>
    public Uri ServiceUrl { get; }

    /// <summary>PostToConnection: sends <paramref name="data"/> to the connection as one message.</summary>
    public async Task PostToConnectionAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, ConnectionUri(connectionId))
        {
            Content = new ReadOnlyMemoryContent(data) { Headers = { ContentType = OctetStream } },
        };
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, connectionId, cancellationToken).ConfigureAwait(false);
    }

    private Uri ConnectionUri(string connectionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        return new Uri(ServiceUrl, "@connections/" + Uri.EscapeDataString(connectionId));
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string connectionId, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var errorType = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.FirstOrDefault() ?? "" : "";
        errorType = errorType.Split(':', 2)[0];
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var message = $"{errorType} ({(int)response.StatusCode}) for connection {connectionId}" + (body.Length > 0 ? $": {body}" : "");
        throw response.StatusCode == HttpStatusCode.Gone
            ? new GoneException(message)
            : new ApiGatewayManagementApiException(message, errorType, response.StatusCode);
    }
}

/// <summary>A management API call failed (the SDK's <c>AmazonApiGatewayManagementApiException</c>).</summary>
public class ApiGatewayManagementApiException : Exception
{
    public ApiGatewayManagementApiException(string message, string errorType, HttpStatusCode statusCode)
        : base(message)
    {
        ErrorType = errorType;
        StatusCode = statusCode;
    }

    public ApiGatewayManagementApiException()
        : this("The management API call failed.", "", 0)
    {
    }

    public ApiGatewayManagementApiException(string message)
        : this(message, "", 0)
    {
    }

    public ApiGatewayManagementApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorType = "";
    }

    /// <summary>The <c>x-amzn-ErrorType</c> of the answer, e.g. <c>BadRequestException</c>.</summary>
    public string ErrorType { get; }

    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; }
}

/// <summary>410: the connection is no longer open (the SDK's <c>GoneException</c>).</summary>
public sealed class GoneException : ApiGatewayManagementApiException
{
    public GoneException(string message)
        : base(message, nameof(GoneException), HttpStatusCode.Gone)
    {
    }

    public GoneException()
        : this("The connection is gone.")
    {
    }

    public GoneException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
