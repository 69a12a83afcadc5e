using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;
using Switchboard.Configuration;

namespace Switchboard.Server;

/// <summary>
/// Serves the web client's <c>index.html</c> at <c>/</c> and <c>/index.html</c> with this gateway's stage written into
/// <c>&lt;meta name="switchboard-stage"&gt;</c> (and its <c>Switchboard:BasePath</c>, when set, into
/// <c>&lt;meta name="switchboard-base-path"&gt;</c>), so the page and the console connect to the path they were served
/// by whatever the definition names it (a <c>?stage=</c> in the URL still wins). The file is read and rewritten once;
/// every other file of the web root is left to the static file middleware.
/// </summary>
/// <remarks>
/// A request for <c>/</c> that asks for a protocol upgrade (a WebSocket handshake) is never answered with the page: it
/// goes on to the gateway's endpoint, which is mounted there when the base path is <c>""</c> (otherwise routing
/// answers it 404). Without the direct upgrade no WebSocket middleware runs before this one, so the upgrade feature,
/// not <c>HttpContext.WebSockets</c>, is what tells a handshake apart.
/// </remarks>
internal static class WebClientPage
{
    /// <summary>The meta element's name; clients/web/src/app/config.ts reads it.</summary>
    public const string StageMetaName = "switchboard-stage";

    /// <summary>The base path meta element's name (present only when <c>Switchboard:BasePath</c> is set; "" is the root).</summary>
    public const string BasePathMetaName = "switchboard-base-path";

    public static IApplicationBuilder UseWebClientPage(this IApplicationBuilder app, Action<IHeaderDictionary> addHeaders)
    {
        var environment = app.ApplicationServices.GetRequiredService<IWebHostEnvironment>();
        var options = app.ApplicationServices.GetRequiredService<IOptions<SwitchboardOptions>>().Value;
        var page = Render(environment.WebRootFileProvider.GetFileInfo("index.html"), options.Stage, options.BasePath);
        if (page is null)
        {
            // No web client in this build (built with SkipClientBuild): nothing to serve.
            return app;
        }

        return app.Use((context, next) =>
        {
            var request = context.Request;
            if (!(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method)) ||
                !(request.Path.Value is "/" or "/index.html") ||
                context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true })
            {
                return next(context);
            }

            var response = context.Response;
            response.ContentType = "text/html; charset=utf-8";
            response.ContentLength = page.Length;
            // The stage is part of the page: a cached copy from a gateway with another stage must not be reused.
            response.Headers.CacheControl = "no-cache";
            addHeaders(response.Headers);
            return HttpMethods.IsHead(request.Method) ? Task.CompletedTask : response.Body.WriteAsync(page, context.RequestAborted).AsTask();
        });
    }

    /// <summary>The page with the stage's (and base path's) meta elements inserted before <c>&lt;/head&gt;</c>; null when there is no page.</summary>
    internal static byte[]? Render(IFileInfo file, string stage, string? basePath = null)
    {
        if (!file.Exists || file.IsDirectory)
        {
            return null;
        }

        string html;
        using (var reader = new StreamReader(file.CreateReadStream(), Encoding.UTF8))
        {
            html = reader.ReadToEnd();
        }

        var meta = $"<meta name=\"{StageMetaName}\" content=\"{HtmlEncoder.Default.Encode(stage)}\">";
        if (basePath is not null)
        {
            meta += $"<meta name=\"{BasePathMetaName}\" content=\"{HtmlEncoder.Default.Encode(basePath)}\">";
        }

        var head = html.IndexOf("</head>", StringComparison.OrdinalIgnoreCase);
        if (head < 0)
        {
            throw new InvalidOperationException($"The web client's {file.PhysicalPath ?? file.Name} has no </head> to put the stage in.");
        }

        return Encoding.UTF8.GetBytes(html.Insert(head, meta));
    }
}
