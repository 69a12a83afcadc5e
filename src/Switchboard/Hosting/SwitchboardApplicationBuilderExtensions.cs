using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Connections;
using Switchboard.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Middleware the gateway wants before routing.</summary>
public static class SwitchboardApplicationBuilderExtensions
{
    /// <summary>
    /// Collapses repeated slashes in request paths before routing. SDKs configured with an endpoint that ends in a
    /// slash (<c>http://host/production/</c>) send <c>/production//@connections/{id}</c>; AWS SDK v2 collapses that
    /// itself, v3 does not. Call before <c>UseRouting</c> (or before any endpoint-dependent middleware).
    /// </summary>
    public static IApplicationBuilder UseSwitchboardPathNormalization(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            var path = context.Request.Path.Value;
            if (path is not null && path.Contains("//", StringComparison.Ordinal))
            {
                var collapsed = path;
                while (collapsed.Contains("//", StringComparison.Ordinal))
                {
                    collapsed = collapsed.Replace("//", "/", StringComparison.Ordinal);
                }

                context.Request.Path = new PathString(collapsed);
            }

            return next(context);
        });

    /// <summary>
    /// Answers 400 to requests whose <c>Host</c> the gateway does not serve (DNS rebinding), for everything after it in
    /// the pipeline: the same list, default and <c>AllowedHosts</c> key as the gateway's own endpoints, which check it
    /// themselves. The executable calls it first so that its page and console are covered too. Not needed when the
    /// application uses ASP.NET Core's host filtering with <c>AllowedHosts</c> set.
    /// </summary>
    public static IApplicationBuilder UseSwitchboardHostFiltering(this IApplicationBuilder app)
    {
        var hosts = app.ApplicationServices.GetRequiredService<AllowedHosts>();
        return app.Use((context, next) => hosts.IsAllowed(context.Request.Headers.Host) ? next(context) : WebSocketSessionHandler.RefuseHostAsync(context));
    }
}
