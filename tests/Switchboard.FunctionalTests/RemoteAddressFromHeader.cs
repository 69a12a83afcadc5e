using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace Switchboard.FunctionalTests;

/// <summary>
/// Lets a test claim a caller address through a header, the way forwarded-headers middleware would; only used
/// for addresses a real socket on this machine cannot have (IPv4-mapped loopback) or when the machine has no
/// non-loopback address to connect from.
/// </summary>
internal sealed class RemoteAddressFromHeader : IStartupFilter
{
    public const string Header = "X-Test-Remote-Address";

    public static void Install(ISwitchboardBuilder switchboard) => switchboard.Services.AddSingleton<IStartupFilter, RemoteAddressFromHeader>();

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Headers.TryGetValue(Header, out var address))
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
