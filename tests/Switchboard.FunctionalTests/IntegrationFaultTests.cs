using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Switchboard.Testing;
using Xunit.Abstractions;

namespace Switchboard.FunctionalTests;

/// <summary>
/// A backend failing at the transport — refused, reset, answering bytes that are not HTTP — under <c>$connect</c>,
/// <c>$default</c> and <c>$disconnect</c> at once, for every kind that calls a backend over the network, and back to
/// normal (docs/reliability.md, "Faults"). What each kind does with a slow backend, HTTP errors, bad answers and huge
/// answers is <see cref="IntegrationConformanceTests"/>; this adds <c>$disconnect</c>, the reset and non-HTTP answers
/// for every kind, and the way back.
/// </summary>
public sealed class IntegrationFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Pong = "pong";
    private readonly ConcurrentDictionary<string, int> _received = new(StringComparer.Ordinal);
    private WebApplication _backend = null!;
    private FaultProxy _proxy = null!;

    public async Task InitializeAsync()
    {
        // One backend for the three kinds: a Lambda-proxy result is also a plausible http_proxy answer and Invoke API answer.
        var (app, baseUri) = await LoopbackWebApplication.StartAsync(app => app.MapPost("/{**path}", async (HttpContext context, string path) =>
        {
            _received.AddOrUpdate(RouteOf(path), 1, (_, count) => count + 1);
            await context.Response.WriteAsync($"{{\"statusCode\":200,\"body\":\"{Pong}\"}}");
        }));
        _backend = app;
        _proxy = FaultProxy.Start(baseUri);
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _backend.StopAsync();
        await _backend.DisposeAsync();
    }

    /// <summary>"connect", "disconnect" or "default": each route calls its own path (or function).</summary>
    private static string RouteOf(string path) => path.Split('/').First(segment => segment is "connect" or "disconnect" or "default");

    private int Received(string route) => _received.GetValueOrDefault(route);

    [Theory]
    [InlineData("http")]
    [InlineData("http_proxy")]
    [InlineData("lambda")]
    public async Task BackendRefusingResettingOrAnsweringGarbage_Refuses502_FailsMessages_KeepsConnections_AndRecoversAtOnce(string kind)
    {
        await using var gateway = await StartGatewayAsync(kind);
        using var http = new HttpClient();

        foreach (var fault in new[] { BackendFault.Down, BackendFault.Reset, BackendFault.Garbage })
        {
            await ForFaultAsync(fault, async () =>
            {
                var (client, connectionId) = await gateway.ConnectAndIdentifyAsync(http);
                await using var _ = client;
                _proxy.Fault = fault;

                // A handshake is refused before any registry entry is left; a message gets the error frame.
                Assert.Equal(HttpStatusCode.BadGateway, await gateway.RefusedHandshakeAsync());
                await client.SendTextAsync("{\"action\":\"anything\"}");
                Assert.StartsWith($"{{\"message\": \"Internal server error\", \"connectionId\":\"{connectionId}\"", await client.ReceiveTextAsync());
                // The connection is untouched: a post is answered 200 and delivered.
                using (var post = await http.PostAsync(gateway.ConnectionUri(connectionId), new StringContent("posted")))
                {
                    Assert.Equal(HttpStatusCode.OK, post.StatusCode);
                }

                Assert.Equal("posted", await client.ReceiveTextAsync());
                Assert.Equal([connectionId], await gateway.ListIdsAsync(http));

                // Closed during the fault: out of the registry at once; its $disconnect fails, is logged, and is not retried.
                var disconnectsBefore = Received("disconnect");
                await client.CloseAsync();
                await Eventually.UntilAsync(
                    () => Task.FromResult(TestLoggerProvider.Lines.Any(line => line.Contains($"Integration for route $disconnect failed (connection {connectionId}", StringComparison.Ordinal))),
                    TestClient.DefaultTimeout,
                    "the failed $disconnect to be logged");
                Assert.Empty(await gateway.ListIdsAsync(http));
                Assert.Equal(disconnectsBefore, Received("disconnect"));

                // Back: the very next handshake and message go through.
                _proxy.Fault = BackendFault.None;
                var recovering = Stopwatch.StartNew();
                var (recovered, recoveredId) = await gateway.ConnectAndIdentifyAsync(http);
                await using var __ = recovered;
                await recovered.SendTextAsync("{\"action\":\"anything\"}");
                Assert.Equal(kind == "http_proxy" ? $"{{\"statusCode\":200,\"body\":\"{Pong}\"}}" : Pong, await recovered.ReceiveTextAsync());
                output.WriteLine($"{kind}, {fault}: first handshake and message after the backend came back in {recovering.ElapsedMilliseconds} ms");
                await recovered.CloseAsync();
                await Eventually.UntilAsync(() => Task.FromResult(Received("disconnect") == disconnectsBefore + 1), TestClient.DefaultTimeout, $"the $disconnect of {recoveredId}");
            });
        }
    }

    [Theory]
    [InlineData("http")]
    [InlineData("http_proxy")]
    [InlineData("lambda")]
    public async Task SlowDisconnectBackend_DelaysNeitherTheClosingHandshakeNorTheRegistryRemoval(string kind)
    {
        await using var gateway = await StartGatewayAsync(kind);
        using var http = new HttpClient();
        var before = await gateway.ListIdsAsync(http);
        await using var client = await RawWebSocketClient.ConnectAsync(gateway.WebSocketUri);
        var connectionId = (await gateway.ListIdsAsync(http)).Except(before).Single();
        _proxy.Fault = BackendFault.Hang;

        // The closing handshake completes and the entry is gone while $disconnect still waits. (The TCP connection itself
        // is closed only once $disconnect has ended: docs/reliability.md, "Faults".)
        var closing = Stopwatch.StartNew();
        await client.SendCloseAsync(1000);
        Assert.Equal(1000, (await client.ReceiveCloseAsync()).CloseCode);
        await Eventually.UntilAsync(async () => (await gateway.ListIdsAsync(http)).Count == 0, TimeSpan.FromSeconds(2), "the closed connection to leave the registry");
        output.WriteLine($"{kind}: close echoed and out of the registry {closing.ElapsedMilliseconds} ms after the client's close frame, $disconnect still waiting");
        Assert.Equal(0, Received("disconnect"));
        Assert.DoesNotContain(TestLoggerProvider.Lines, line => line.Contains($"$disconnect failed (connection {connectionId}", StringComparison.Ordinal));

        // The backend drops the call it held: the $disconnect ends — failed and logged, or delivered when the HTTP client
        // retried it on a fresh connection (nothing of the answer had arrived) — and then the socket is closed.
        _proxy.Fault = BackendFault.None;
        await client.WaitForEndOfStreamAsync();
        Assert.True(
            Received("disconnect") == 1 || TestLoggerProvider.Lines.Any(line => line.Contains($"Integration for route $disconnect failed (connection {connectionId}", StringComparison.Ordinal)),
            "the $disconnect held by the backend neither failed nor was delivered");
    }

    /// <summary>A gateway whose <c>$connect</c>, <c>$default</c> (two-way) and <c>$disconnect</c> call <paramref name="kind"/> through the proxy.</summary>
    private Task<TestGateway> StartGatewayAsync(string kind)
    {
        var settings = new Dictionary<string, string?>();
        string[] routes = ["connect", "default", "disconnect"];
        for (var i = 0; i < routes.Length; i++)
        {
            var prefix = $"Switchboard:Routes:{i}";
            settings[$"{prefix}:RouteKey"] = "$" + routes[i];
            settings[$"{prefix}:TwoWay"] = routes[i] == "default" ? "true" : "false";
            settings[$"{prefix}:Integration:Type"] = kind;
            if (kind == "lambda")
            {
                settings[$"{prefix}:Integration:FunctionName"] = routes[i];
                settings[$"{prefix}:Integration:Endpoint"] = _proxy.BaseUri.ToString();
            }
            else
            {
                settings[$"{prefix}:Integration:Uri"] = new Uri(_proxy.BaseUri, routes[i]).ToString();
            }
        }

        return TestGateway.StartAsync(settings);
    }

    /// <summary>Runs one fault's checks; a failed check names the fault.</summary>
    private static async Task ForFaultAsync(BackendFault fault, Func<Task> check)
    {
        try
        {
            await check();
        }
        catch (Exception exception) when (exception is Xunit.Sdk.XunitException or TimeoutException or OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"backend fault {fault}: {exception.Message}");
        }
    }
}
