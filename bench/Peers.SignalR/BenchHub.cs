using Microsoft.AspNetCore.SignalR;

namespace Peers.SignalR;

/// <summary>What the harness invokes: Echo (a completion carries the reply), WhoAmI, SendMessage (broadcast).</summary>
public sealed class BenchHub(Presence presence) : Hub
{
    /// <summary>The client method that receives posts and broadcasts.</summary>
    public const string MessageTarget = "m";

    public string Echo(string data) => data;

    public string WhoAmI() => Context.ConnectionId;

    public Task SendMessage(string data) => Clients.All.SendAsync(MessageTarget, data);

    public override Task OnConnectedAsync()
    {
        presence.Add(Context.ConnectionId);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        presence.Remove(Context.ConnectionId);
        return Task.CompletedTask;
    }
}
