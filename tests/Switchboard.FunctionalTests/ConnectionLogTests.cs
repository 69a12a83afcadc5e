using System.Net.WebSockets;
using System.Text.Json;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The executable's structured logs: with <c>Logging:Console:FormatterName=json</c> every line is one JSON object, and
/// with <c>Switchboard.Connections</c> at Debug each connection gives one event when it opens (id, source) and one when
/// it closes (id, source, duration, close code and reason).
/// </summary>
[Collection(ServerProcessGroup.Name)]
public sealed class ConnectionLogTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task JsonConsole_OneEventPerConnectionOpenAndClose_WithIdSourceDurationCodeAndReason()
    {
        await using var gateway = await ServerProcess.StartAsync(
            _directory.Path,
            ["--Logging:Console:FormatterName=json", "--Logging:LogLevel:Switchboard.Connections=Debug"]);
        string id;
        await using (var client = await gateway.ConnectAsync())
        {
            id = await client.WhoAmIAsync();
            await client.CloseAsync((WebSocketCloseStatus)4001, "done for today");
        }

        var closed = await Eventually.UntilAsync(
            () => Task.FromResult(Events(gateway.Output).FirstOrDefault(e => e.EventId == 2 && e.State.GetProperty("ConnectionId").GetString() == id)),
            found => found is not null,
            TimeSpan.FromSeconds(10),
            "the close event",
            () => gateway.Output);
        var opened = Events(gateway.Output).Single(e => e.EventId == 1 && e.State.GetProperty("ConnectionId").GetString() == id);

        Assert.Equal("Switchboard.Connections", opened.Category);
        Assert.Equal("127.0.0.1", opened.State.GetProperty("SourceIp").GetString());
        Assert.Equal("Switchboard.Connections", closed!.Category);
        Assert.Equal("127.0.0.1", closed.State.GetProperty("SourceIp").GetString());
        Assert.Equal(4001, closed.State.GetProperty("CloseCode").GetInt32());
        Assert.Equal("done for today", closed.State.GetProperty("CloseReason").GetString());
        Assert.InRange(closed.State.GetProperty("DurationMs").GetInt64(), 0, 60_000);
        Assert.Single(Events(gateway.Output), e => e.EventId == 2 && e.State.GetProperty("ConnectionId").GetString() == id);

        // Every line the gateway wrote is one JSON object: nothing plain slips into a log shipper's input.
        Assert.All(gateway.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), line => JsonDocument.Parse(line).Dispose());
    }

    [Fact]
    public async Task ByDefault_NoPerConnectionEvents()
    {
        await using var gateway = await ServerProcess.StartAsync(_directory.Path, ["--Logging:Console:FormatterName=json"]);
        await using (var client = await gateway.ConnectAsync())
        {
            await client.WhoAmIAsync();
            await client.CloseAsync();
        }

        Assert.Equal(0, await gateway.TerminateAsync(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain(Events(gateway.Output), e => e.Category == "Switchboard.Connections");
    }

    private sealed record LogEvent(int EventId, string? Category, JsonElement State);

    private static List<LogEvent> Events(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => JsonDocument.Parse(line).RootElement.Clone())
            .Select(root => new LogEvent(root.GetProperty("EventId").GetInt32(), root.GetProperty("Category").GetString(), root.TryGetProperty("State", out var state) ? state : default))];
}
