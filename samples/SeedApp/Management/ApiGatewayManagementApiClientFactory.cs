namespace SeedApp.Management;

/// <summary>
/// Creates <see cref="ApiGatewayManagementApiClient"/>s for an endpoint, as the Lambda function creates
/// <c>new ApiGatewayManagementApi({ endpoint })</c> per invocation; the HTTP connections come from
/// <see cref="IHttpClientFactory"/>.
/// </summary>
public sealed class ApiGatewayManagementApiClientFactory(IHttpClientFactory httpClientFactory)
{
    /// <summary>The name of the HTTP client registered with <c>AddHttpClient</c>.</summary>
    public const string HttpClientName = "ApiGatewayManagementApi";

    public ApiGatewayManagementApiClient Create(Uri serviceUrl) =>
        new(httpClientFactory.CreateClient(HttpClientName), serviceUrl);
}
