using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// What <c>AddSwitchboard</c> returns: the place where backends (<c>AddSqliteRegistry</c>, <c>AddRedisScaleOut</c>),
/// route handlers and integration kinds are added. Calls may come in any order.
/// </summary>
public interface ISwitchboardBuilder
{
    /// <summary>The application's services.</summary>
    IServiceCollection Services { get; }

    /// <summary>The configuration whose <c>Switchboard</c> section the gateway and its backends bind.</summary>
    IConfiguration Configuration { get; }
}
