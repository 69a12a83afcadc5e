namespace Switchboard.Configuration;

/// <summary>Access to the <c>@connections</c> management API and its Switchboard extensions.</summary>
public sealed class ManagementOptions
{
    /// <summary>
    /// When false (the default) management calls from non-loopback addresses answer 403 ForbiddenException,
    /// even when the gateway itself is bound to a public address.
    /// </summary>
    public bool AllowRemote { get; set; }
}
