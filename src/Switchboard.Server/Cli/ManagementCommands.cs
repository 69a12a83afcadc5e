using System.Globalization;
using System.Net;
using System.Text.Json;
using Switchboard.Management;

namespace Switchboard.Server.Cli;

/// <summary>The send, broadcast and connections commands. Exit codes: 0 done, 1 refused by the gateway, 3 gateway unreachable.</summary>
internal static class ManagementCommands
{
    public static async Task<int> SendAsync(ManagementClient client, string connectionId, string message, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using (client)
        {
            return await Guard(client, error, async () =>
            {
                using var response = await client.PostToConnectionAsync(connectionId, message, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    await output.WriteLineAsync($"Sent to {connectionId}.").ConfigureAwait(false);
                    return 0;
                }

                await error.WriteLineAsync(await DescribeAsync(response, connectionId, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return 1;
            }).ConfigureAwait(false);
        }
    }

    public static async Task<int> BroadcastAsync(ManagementClient client, string message, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using (client)
        {
            return await Guard(client, error, async () =>
            {
                using var response = await client.BroadcastAsync(message, cancellationToken).ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    await error.WriteLineAsync(await DescribeAsync(response, null, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                    return 1;
                }

                var recipients = (await ManagementClient.ReadAsync(response, ManagementJsonContext.Default.BroadcastResponse, cancellationToken).ConfigureAwait(false)).Recipients;
                await output.WriteLineAsync($"Broadcast to {recipients} connection{(recipients == 1 ? "" : "s")}.").ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        }
    }

    public static async Task<int> ListAsync(ManagementClient client, bool asJson, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        using (client)
        {
            return await Guard(client, error, async () =>
            {
                var (items, failure) = await client.ListAllAsync(cancellationToken).ConfigureAwait(false);
                if (failure is not null)
                {
                    await error.WriteLineAsync(await DescribeAsync(failure, null, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                    failure.Dispose();
                    return 1;
                }

                if (asJson)
                {
                    // Each item exactly as the gateway lists it.
                    foreach (var item in items)
                    {
                        await output.WriteLineAsync(JsonSerializer.Serialize(item, ManagementJsonContext.Relaxed.ListedConnection)).ConfigureAwait(false);
                    }

                    return 0;
                }

                var rows = items.Select(item => new[]
                {
                    item.ConnectionId,
                    AwsTimestampJsonConverter.Format(item.ConnectedAt),
                    AwsTimestampJsonConverter.Format(item.LastActiveAt),
                    item.Identity.SourceIp,
                    item.Identity.UserAgent ?? "",
                }).ToList();
                await output.WriteAsync(Table.Render(["CONNECTION ID", "CONNECTED AT", "LAST ACTIVE AT", "SOURCE IP", "USER AGENT"], rows)).ConfigureAwait(false);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{items.Count} connection{(items.Count == 1 ? "" : "s")} open.")).ConfigureAwait(false);
                return 0;
            }).ConfigureAwait(false);
        }
    }

    private static async Task<int> Guard(ManagementClient client, TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (HttpRequestException exception)
        {
            await error.WriteLineAsync($"Cannot reach the gateway at {client.Endpoint}: {exception.Message}. Is it running? (set --endpoint or ${CommandLine.EndpointVariable})").ConfigureAwait(false);
            return 3;
        }
    }

    /// <summary>A refusal's first line: a signature mismatch goes on with the canonical request, which is not for a one-line error.</summary>
    private static string FirstLine(string text) => text.Split('\n', 2)[0].Trim();

    private static async Task<string> DescribeAsync(HttpResponseMessage response, string? connectionId, CancellationToken cancellationToken)
    {
        var type = response.Headers.TryGetValues("x-amzn-ErrorType", out var values) ? values.First() : "";
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        var detail = body;
        if (body.Length > 0)
        {
            try
            {
                detail = JsonSerializer.Deserialize(body, ManagementJsonContext.Default.ErrorBody)?.Message ?? body;
            }
            catch (JsonException)
            {
                // Not the gateway's error shape (a proxy's page, say): shown as it came.
            }
        }

        var status = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.Gone => $"Connection {connectionId} is gone (410 {type}): it is closed or never existed.",
            HttpStatusCode.Forbidden when body.Length == 0 => $"Forbidden (403 {type}): check the stage in the endpoint, and that this host may call the management API.",
            HttpStatusCode.Forbidden => $"Not authenticated (403 {type}): {FirstLine(detail)} Give the gateway's API key (--api-key or ${ManagementAuthentication.ApiKeyVariable}) or credentials it knows (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION).",
            _ => $"The gateway refused the request: {status} {type} {detail}".TrimEnd(),
        };
    }
}
