using Switchboard.Events;
using Switchboard.Integrations;
using Switchboard.Routing;

namespace Switchboard.Tests.Routing;

/// <summary>A reload's replaced table: its integrations are disposed once the last unit of work holding it ends, never before.</summary>
public sealed class RouteTableSourceTests
{
    [Fact]
    public async Task Replace_DisposesTheOldIntegrations_OnlyAfterTheLastLeaseOnTheOldTableEnds()
    {
        var old = new DisposableIntegration();
        var source = new RouteTableSource(TableWith(old));
        var inFlight = source.Acquire();
        var second = source.Acquire();

        source.Replace(TableWith(new DisposableIntegration()));
        second.Dispose();

        Assert.False(old.Disposed.Task.IsCompleted);
        Assert.Same(old, inFlight.Table.Default!.Integration);
        using (var next = source.Acquire())
        {
            Assert.NotSame(old, next.Table.Default!.Integration);
        }

        inFlight.Dispose();
        await old.Disposed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Replace_KeepsTheCurrentTablesIntegrations_WhileItIsCurrent()
    {
        var current = new DisposableIntegration();
        var source = new RouteTableSource(TableWith(current));
        using (source.Acquire())
        {
        }

        Assert.False(current.Disposed.Task.IsCompleted);
    }

    [Fact]
    public void Acquire_OnATableWithNothingToDispose_CountsNoUse()
    {
        var source = new RouteTableSource(TableWith(new Switchboard.Integrations.Mock.MockIntegration(RouteResponse.WithBody("pong"))));

        Assert.False(source.Current.HoldsResources);
        using var lease = source.Acquire();
        Assert.Same(source.Current, lease.Table);
    }

    private static RouteTable TableWith(IRouteIntegration integration) =>
        new(RouteSelectionExpression.Parse("$request.body.action"), new Dictionary<string, CompiledRoute>(), connect: null, disconnect: null,
            new CompiledRoute(RouteTable.DefaultKey, integration, TwoWay: false, TimeSpan.FromSeconds(29)));

    private sealed class DisposableIntegration : IRouteIntegration, IAsyncDisposable
    {
        public TaskCompletionSource Disposed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<IntegrationResult> InvokeAsync(RouteEvent routeEvent, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public ValueTask DisposeAsync()
        {
            Disposed.TrySetResult();
            return ValueTask.CompletedTask;
        }
    }
}
