namespace Switchboard.Management;

/// <summary>
/// Endpoint metadata naming a management operation as API Gateway's SDKs do (<c>PostToConnection</c>), or as
/// Switchboard's extensions are named (<c>ListConnections</c>, <c>Broadcast</c>, <c>GetStats</c>): the
/// <c>operation</c> tag of <c>switchboard.management.duration</c>.
/// </summary>
internal sealed record ManagementOperation(string Name);
