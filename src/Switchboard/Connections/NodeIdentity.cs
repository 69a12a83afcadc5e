using System.Security.Cryptography;

namespace Switchboard.Connections;

/// <summary>This gateway process's identity in the registry; new on every start, so a restarted node never inherits ghosts.</summary>
public sealed class NodeIdentity
{
    /// <summary>A random node id.</summary>
    public string Id { get; } = "node-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
