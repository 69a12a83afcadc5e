using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Switchboard.Hosting;

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
}
