using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Protocol;
using Switchboard.Registry;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Thousands of connections ending at once, at a tenth of the scale of the load harness's <c>mass</c> benchmark: every
/// one gets its <c>$disconnect</c>, although far more are due than the route's concurrency limit lets run at once.
/// </summary>
/// <remarks>
/// The backend holds every call until <see cref="Limit"/> are in progress and every connection has left the registry
/// (so every <c>$disconnect</c> is due), then answers them all: a call the limit refused instead of queueing would
/// never arrive.
/// </remarks>
public sealed class MassDisconnectTests : IAsyncLifetime
{
    private const int Clients = 2000;
    private const int Limit = 100;

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, int> _disconnects = new(StringComparer.Ordinal);
    private readonly List<RawWebSocketClient> _clients = [];
    private RecordingBackend _backend = null!;
    private TestGateway _gateway = null!;
    private int _held;

    public async Task InitializeAsync()
    {
        _backend = await RecordingBackend.StartAsync();
        _backend.Respond("disconnect", async routeEvent =>
        {
            _disconnects.AddOrUpdate(routeEvent.GetProperty("requestContext").GetProperty("connectionId").GetString()!, 1, (_, count) => count + 1);
            Interlocked.Increment(ref _held);
            await _release.Task;
            return (200, "{\"statusCode\":200}");
        });
        _gateway = await TestGateway.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Routes:0:RouteKey"] = "$disconnect",
            ["Switchboard:Routes:0:Integration:Type"] = "http",
            ["Switchboard:Routes:0:Integration:Uri"] = _backend.UriFor("disconnect").ToString(),
            ["Switchboard:Routes:0:Integration:MaxConcurrency"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Switchboard:Routes:0:Integration:MaxQueue"] = "0",
        });
        using var slots = new SemaphoreSlim(32);
        var connecting = Enumerable.Range(0, Clients).Select(async _ =>
        {
            await slots.WaitAsync();
            try
            {
                return await RawWebSocketClient.ConnectAsync(_gateway.WebSocketUri, timeout: TimeSpan.FromSeconds(30));
            }
            finally
            {
                slots.Release();
            }
        });
        _clients.AddRange(await Task.WhenAll(connecting));
        Assert.All(_clients, client => Assert.Equal(101, client.HandshakeStatusCode));
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task ThousandsClosingAtOnce_ThroughALimitOf100WithoutQueue_EachGetsOneDisconnect()
    {
        await Task.WhenAll(_clients.Select(client => client.SendCloseAsync(CloseCodes.NormalClosure)));
        await ReleaseOnceAllAreDueAsync();

        await WaitForEveryDisconnectAsync();
        Assert.All(_disconnects.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task GracefulShutdown_WithThousandsOpen_ClosesEachWith1001_AndSendsEveryDisconnect()
    {
        var closes = _clients.Select(async client =>
        {
            var close = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(30));
            try
            {
                await client.SendCloseAsync(close.CloseCode);
            }
            catch (IOException)
            {
                // Under load the gateway may have given up waiting for the reply (CloseTimeout) and dropped the
                // connection: the 1001 arrived, and the $disconnect is due all the same.
            }

            return close.CloseCode;
        }).ToList();
        var stopped = _gateway.StopAsync();
        await ReleaseOnceAllAreDueAsync();

        Assert.All(await Task.WhenAll(closes), code => Assert.Equal(CloseCodes.GoingAway, code));
        await stopped.WaitAsync(TimeSpan.FromSeconds(30));
        // The drain waits for $disconnect: when the host has stopped, every call has been answered.
        Assert.Equal(Clients, _disconnects.Count);
        Assert.All(_disconnects.Values, count => Assert.Equal(1, count));
    }

    /// <summary>Lets the backend answer once the limit is full and every connection has left the registry.</summary>
    private async Task ReleaseOnceAllAreDueAsync()
    {
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref _held)), held => held >= Limit, TimeSpan.FromSeconds(30), $"{Limit} $disconnect calls in progress");
        // A connection leaves the registry right before its $disconnect is called.
        var registry = _gateway.Services.GetRequiredService<IConnectionRegistry>();
        await Eventually.UntilAsync(async () => (await registry.ListAsync(1, null, CancellationToken.None)).Items.Count, count => count == 0, TimeSpan.FromSeconds(30), "every connection to leave the registry");
        _release.TrySetResult();
    }

    private Task WaitForEveryDisconnectAsync() =>
        Eventually.UntilAsync(() => Task.FromResult(_disconnects.Count), count => count == Clients, TimeSpan.FromSeconds(60), $"{Clients} $disconnect calls", () => string.Join(Environment.NewLine, TestLoggerProvider.Lines.TakeLast(10)));
}
