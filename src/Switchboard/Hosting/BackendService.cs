using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Switchboard.Hosting;

/// <summary>
/// Runs a backend's background service (a registry's store, a Redis connection) around the gateway rather than beside
/// it: started in the host's first start phase, before any ordinary hosted service — the gateway's own and Kestrel's —
/// and stopped in its last stop phase, after the gateway has closed its connections and run their <c>$disconnect</c>.
/// Backends therefore need not be registered before the gateway. Among themselves, backend services start in the order
/// they were added and stop in reverse.
/// </summary>
internal sealed class BackendService<TService>(TService service) : IHostedLifecycleService
    where TService : class, IHostedService
{
    public Task StartingAsync(CancellationToken cancellationToken) => service.StartAsync(cancellationToken);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => service.StopAsync(cancellationToken);
}
