using Switchboard.Configuration;
using Switchboard.Events;
using Switchboard.Integrations;

namespace Switchboard.Tests.Integrations;

/// <summary>The limit a route gets when its integration sets no <c>MaxConcurrency</c>.</summary>
public sealed class ConcurrencyLimitDefaultTests
{
    private static readonly RouteEvent Event = new()
    {
        RouteKey = "probe",
        EventType = RouteEventType.Message,
        ConnectionId = "c",
        RequestId = "r",
        ConnectedAt = DateTimeOffset.UnixEpoch,
        RequestTime = DateTimeOffset.UnixEpoch,
        Stage = "production",
        ApiId = "api",
        DomainName = "localhost",
        SourceIp = "127.0.0.1",
    };

    [Fact]
    public async Task Unconfigured_AThousandCallsRunAtOnce_TheNextIsRefusedAtOnce_AndAFinishedCallFreesItsSlot()
    {
        var backend = new NeverAnswering();
        var route = ConcurrencyLimitedIntegration.Apply(backend, new IntegrationOptions { Type = "http" }, "backend x");

        var running = Enumerable.Range(0, ConcurrencyLimitedIntegration.DefaultMaxConcurrency).Select(_ => route.InvokeAsync(Event, CancellationToken.None).AsTask()).ToList();
        var refusal = route.InvokeAsync(Event, CancellationToken.None).AsTask();

        Assert.Equal(1000, ConcurrencyLimitedIntegration.DefaultMaxConcurrency);
        Assert.Equal(1000, backend.Calls);
        // Refused at once: completed before anything was answered.
        Assert.True(refusal.IsCompletedSuccessfully);
        var refused = await refusal;
        Assert.Equal(IntegrationOutcome.Failed, refused.Outcome);
        Assert.True(refused.IsRefusal);
        Assert.Contains("1000 call(s) running and 0 waiting", refused.FailureDetail, StringComparison.Ordinal);

        backend.AnswerOne();
        await await Task.WhenAny(running);
        var next = route.InvokeAsync(Event, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        Assert.Equal(1001, backend.Calls);
    }

    /// <summary>Holds every call until <see cref="AnswerOne"/>.</summary>
    private sealed class NeverAnswering : IRouteIntegration
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<TaskCompletionSource<IntegrationResult>> _pending = new();
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var answer = new TaskCompletionSource<IntegrationResult>();
            _pending.Enqueue(answer);
            return new(answer.Task);
        }

        public void AnswerOne()
        {
            Assert.True(_pending.TryDequeue(out var answer));
            answer.SetResult(IntegrationResult.Success(RouteResponse.Ok));
        }
    }
}
