using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Switchboard.Connections;
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
    private TestGateway? _gateway;
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
    }

    /// <summary>Starts the gateway (<c>$disconnect</c> on the backend, <see cref="Limit"/> calls at once, no queue unless told) and opens <see cref="Clients"/> clients.</summary>
    private async Task StartAsync(TimeProvider? time = null, string timeout = "00:00:29", int maxQueue = 0)
    {
        _gateway = await TestGateway.StartAsync(
            new Dictionary<string, string?>
            {
                ["Switchboard:Routes:0:RouteKey"] = "$disconnect",
                ["Switchboard:Routes:0:Integration:Type"] = "http",
                ["Switchboard:Routes:0:Integration:Uri"] = _backend.UriFor("disconnect").ToString(),
                ["Switchboard:Routes:0:Integration:MaxConcurrency"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Switchboard:Routes:0:Integration:MaxQueue"] = maxQueue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Switchboard:Routes:0:Integration:Timeout"] = timeout,
            },
            services =>
            {
                if (time is not null)
                {
                    services.Services.Replace(ServiceDescriptor.Singleton(time));
                }
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

        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task ThousandsClosingAtOnce_ThroughALimitOf100WithoutQueue_EachGetsOneDisconnect()
    {
        await StartAsync();
        await Task.WhenAll(_clients.Select(client => client.SendCloseAsync(CloseCodes.NormalClosure)));
        await ReleaseOnceAllAreDueAsync();

        await WaitForEveryDisconnectAsync();
        Assert.All(_disconnects.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task GracefulShutdown_WithThousandsOpen_ClosesEachWith1001_AndSendsEveryDisconnect()
    {
        await StartAsync();
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
        var stopped = _gateway!.StopAsync();
        await ReleaseOnceAllAreDueAsync();

        Assert.All(await Task.WhenAll(closes), code => Assert.Equal(CloseCodes.GoingAway, code));
        await stopped.WaitAsync(TimeSpan.FromSeconds(30));
        // The drain waits for $disconnect: when the host has stopped, every call has been answered.
        Assert.Equal(Clients, _disconnects.Count);
        Assert.All(_disconnects.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task DisconnectsWaitingForASlot_LongerThanTheRoutesTimeout_AreStillDelivered()
    {
        var time = new ObservableFakeTimeProvider();
        // A queue for all, so that only the timeout could lose them.
        await StartAsync(time, timeout: "00:00:01", maxQueue: Clients);
        await Task.WhenAll(_clients.Select(client => client.SendCloseAsync(CloseCodes.NormalClosure)));
        await WaitUntilAllAreDueAsync();

        // The calls in progress time out and give their slots up; the waiting ones start their own timeout only now.
        time.Advance(TimeSpan.FromSeconds(2));
        _release.TrySetResult();

        await WaitForEveryDisconnectAsync();
        Assert.All(_disconnects.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task AShutdownTimeoutLongerThanTheHosts_ExtendsTheHostsOwn()
    {
        // The host's default (30 s) would cancel a longer drain.
        await using var gateway = await TestGateway.StartAsync(new Dictionary<string, string?> { ["Switchboard:Limits:ShutdownTimeout"] = "00:02:00" });

        Assert.True(gateway.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout > TimeSpan.FromMinutes(2));
    }

    /// <summary>Lets the backend answer once the limit is full and every connection has ended.</summary>
    private async Task ReleaseOnceAllAreDueAsync()
    {
        await WaitUntilAllAreDueAsync();
        _release.TrySetResult();
    }

    /// <summary>
    /// Waits until the limit is full and every connection has ended on its node (which comes right before its
    /// <c>$disconnect</c> is due; the registry entry stays until the <c>$disconnect</c> has run).
    /// </summary>
    private async Task WaitUntilAllAreDueAsync()
    {
        await Eventually.UntilAsync(() => Task.FromResult(Volatile.Read(ref _held)), held => held >= Limit, TimeSpan.FromSeconds(30), $"{Limit} $disconnect calls in progress");
        var local = _gateway!.Services.GetRequiredService<LocalConnections>();
        await Eventually.UntilAsync(() => Task.FromResult(local.All.Count(connection => !connection.IsClosing)), open => open == 0, TimeSpan.FromSeconds(30), "every connection to end");
    }

    private Task WaitForEveryDisconnectAsync() =>
        Eventually.UntilAsync(() => Task.FromResult(_disconnects.Count), count => count == Clients, TimeSpan.FromSeconds(60), $"{Clients} $disconnect calls", () => string.Join(Environment.NewLine, TestLoggerProvider.Lines.TakeLast(10)));
}
