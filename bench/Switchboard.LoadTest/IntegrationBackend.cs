using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.LoadTest;

/// <summary>
/// The backend of a gateway's <c>http</c> integrations, hosted in the harness (Kestrel on 127.0.0.1): it receives the
/// Lambda-proxy events POSTed to <see cref="ConnectUri"/>, <see cref="DisconnectUri"/> and <see cref="DefaultUri"/>,
/// counts them by <c>requestContext.connectionId</c>, and answers <c>{"statusCode":200,"body":"ok"}</c> (a two-way
/// route's reply is then the text <c>ok</c>). A call it was told to fail (<see cref="FailureRate"/>) is answered 500
/// and counted only in <see cref="Failures"/>: the per-id counts are of calls that succeeded, which is what a gateway
/// retrying a failed <c>$disconnect</c> has to make add up.
/// </summary>
/// <remarks>Every member is thread-safe; the counts may be read while the gateway is calling.</remarks>
internal sealed class IntegrationBackend : IAsyncDisposable
{
    private static readonly byte[] Answer = """{"statusCode":200,"body":"ok"}"""u8.ToArray();

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, IdCounts> _ids = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _connects;
    private long _disconnects;
    private long _messages;
    private long _failures;
    private long _failureRateBits;
    private long _delayTicks;

    private IntegrationBackend(WebApplication app) => _app = app;

    /// <summary>http://127.0.0.1:{port}, once started.</summary>
    public Uri BaseUri { get; private set; } = null!;

    public Uri ConnectUri => new(BaseUri, "/connect");

    public Uri DisconnectUri => new(BaseUri, "/disconnect");

    /// <summary>For <c>$default</c> or any other message route.</summary>
    public Uri DefaultUri => new(BaseUri, "/default");

    /// <summary><c>$connect</c> calls answered 200.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary><c>$disconnect</c> calls answered 200.</summary>
    public long Disconnects => Interlocked.Read(ref _disconnects);

    /// <summary>Message calls (<see cref="DefaultUri"/>) answered 200.</summary>
    public long Messages => Interlocked.Read(ref _messages);

    /// <summary>Calls answered 500 because of <see cref="FailureRate"/>.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Connection ids seen in any successful call.</summary>
    public ICollection<string> Ids => _ids.Keys;

    /// <summary>Waited before every answer (a slow backend); zero by default. May be changed while running.</summary>
    public TimeSpan Delay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _delayTicks));
        set => Interlocked.Exchange(ref _delayTicks, value.Ticks);
    }

    /// <summary>The fraction (0–1) of calls answered 500 instead, at random; zero by default. May be changed while running.</summary>
    public double FailureRate
    {
        get => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _failureRateBits));
        set => Interlocked.Exchange(ref _failureRateBits, BitConverter.DoubleToInt64Bits(Math.Clamp(value, 0, 1)));
    }

    /// <summary>Starts listening on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    public static async Task<IntegrationBackend> StartAsync(int port = 0)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options =>
        {
            options.Listen(IPAddress.Loopback, port);
            options.AddServerHeader = false;
            options.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        var backend = new IntegrationBackend(app);
        app.Run(backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.BaseUri = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return backend;
    }

    /// <summary>What the per-id counts say (a snapshot; exact once the gateway has stopped calling).</summary>
    public IdAudit Audit()
    {
        long open = 0, disconnectWithoutConnect = 0, repeatedConnect = 0, repeatedDisconnect = 0;
        var examples = new List<string>();
        foreach (var (id, counts) in _ids)
        {
            var connects = Volatile.Read(ref counts.Connects);
            var disconnects = Volatile.Read(ref counts.Disconnects);
            var odd = true;
            if (connects > 0 && disconnects == 0)
            {
                open++;
            }
            else if (connects == 0 && disconnects > 0)
            {
                disconnectWithoutConnect++;
            }
            else if (connects > 1)
            {
                repeatedConnect++;
            }
            else if (disconnects > 1)
            {
                repeatedDisconnect++;
            }
            else
            {
                odd = false;
            }

            if (odd && examples.Count < 10)
            {
                examples.Add($"{id}: {connects} $connect, {disconnects} $disconnect");
            }
        }

        return new IdAudit(_ids.Count, open, disconnectWithoutConnect, repeatedConnect, repeatedDisconnect, examples);
    }

    /// <summary>Waits until <paramref name="condition"/> holds (checked after every call) or <paramref name="timeout"/> passes; returns whether it held.</summary>
    public async Task<bool> WaitUntilAsync(Func<IntegrationBackend, bool> condition, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            if (condition(this))
            {
                return true;
            }

            try
            {
                await changed.WaitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                return condition(this);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (!HttpMethods.IsPost(context.Request.Method) || path is not ("/connect" or "/disconnect" or "/default"))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        string? id;
        using (var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted))
        {
            id = document.RootElement.TryGetProperty("requestContext", out var requestContext)
                && requestContext.TryGetProperty("connectionId", out var connectionId) ? connectionId.GetString() : null;
        }

        if (id is null)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var delay = Delay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, context.RequestAborted);
        }

        var failureRate = FailureRate;
        if (failureRate > 0 && Random.Shared.NextDouble() < failureRate)
        {
            Interlocked.Increment(ref _failures);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var counts = _ids.GetOrAdd(id, static _ => new IdCounts());
        switch (path)
        {
            case "/connect":
                Interlocked.Increment(ref counts.Connects);
                Interlocked.Increment(ref _connects);
                break;
            case "/disconnect":
                Interlocked.Increment(ref counts.Disconnects);
                Interlocked.Increment(ref _disconnects);
                break;
            default:
                Interlocked.Increment(ref _messages);
                break;
        }

        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Answer.Length;
        await context.Response.Body.WriteAsync(Answer, context.RequestAborted);
    }

    private sealed class IdCounts
    {
        public int Connects;
        public int Disconnects;
    }
}

/// <summary>What an <see cref="IntegrationBackend"/>'s per-id counts say.</summary>
/// <param name="Ids">Distinct connection ids seen.</param>
/// <param name="Open">Ids with a <c>$connect</c> and no <c>$disconnect</c> (yet).</param>
/// <param name="DisconnectWithoutConnect">Ids with a <c>$disconnect</c> and no <c>$connect</c>.</param>
/// <param name="RepeatedConnect">Ids with more than one <c>$connect</c>.</param>
/// <param name="RepeatedDisconnect">Ids with one <c>$connect</c> and more than one <c>$disconnect</c> (allowed by at-least-once, worth reporting).</param>
/// <param name="Examples">Up to 10 such ids with their counts.</param>
internal sealed record IdAudit(long Ids, long Open, long DisconnectWithoutConnect, long RepeatedConnect, long RepeatedDisconnect, IReadOnlyList<string> Examples)
{
    /// <summary>Every id has exactly one <c>$connect</c> and exactly one <c>$disconnect</c>.</summary>
    public bool Matched => Open == 0 && DisconnectWithoutConnect == 0 && RepeatedConnect == 0 && RepeatedDisconnect == 0;
}
