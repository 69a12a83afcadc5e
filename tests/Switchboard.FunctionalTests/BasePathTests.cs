using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.FileProviders;
using Switchboard.Server;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// <c>Switchboard:BasePath</c>: the API mounted as under an API Gateway custom domain — at a base path instead of the
/// stage segment, or at the root — for handshakes on both paths (direct upgrade and the HTTP pipeline) and every
/// management call, with events that keep the real stage name.
/// </summary>
public sealed class BasePathTests
{
    private const string Stage = "dev";

    public static TheoryData<string, bool> Mounts => new()
    {
        { "chat", true },
        { "chat", false },
        { "", true },
        { "", false },
    };

    private static Task<Harness> StartAsync(string basePath, bool directUpgrade) =>
        Harness.StartAsync(new() { ["Switchboard:Stage"] = Stage, ["Switchboard:BasePath"] = basePath }, directUpgrade: directUpgrade);

    [Theory]
    [MemberData(nameof(Mounts))]
    public async Task HandshakeAndEveryManagementCall_WorkUnderTheBasePath(string basePath, bool directUpgrade)
    {
        await using var harness = await StartAsync(basePath, directUpgrade);
        var prefix = basePath.Length == 0 ? "" : "/" + basePath;
        Assert.Equal(prefix.Length == 0 ? "/" : prefix, harness.Gateway.WebSocketUri.AbsolutePath);

        var (client, id) = await harness.ConnectAsync();
        await using (client)
        {
            var connectionUri = new Uri($"http://{harness.Gateway.BaseUri.Authority}{prefix}/@connections/{Uri.EscapeDataString(id)}");
            using (var post = await harness.Http.PostAsync(connectionUri, new StringContent("to one")))
            {
                Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            }

            Assert.Equal("to one", await client.ReceiveTextAsync());

            using (var get = await harness.Http.GetAsync(connectionUri))
            {
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            }

            var list = await harness.Http.GetStringAsync(new Uri($"http://{harness.Gateway.BaseUri.Authority}{prefix}/@connections"));
            Assert.Contains(id, list, StringComparison.Ordinal);

            using (var broadcast = await harness.Http.PostAsync(new Uri($"http://{harness.Gateway.BaseUri.Authority}{prefix}/@broadcast"), new StringContent("to all")))
            {
                Assert.Equal(HttpStatusCode.OK, broadcast.StatusCode);
            }

            Assert.Equal("to all", await client.ReceiveTextAsync());

            using (var stats = await harness.Http.GetAsync(new Uri($"http://{harness.Gateway.BaseUri.Authority}{prefix}/@stats")))
            {
                Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
            }

            using (var delete = await harness.Http.DeleteAsync(connectionUri))
            {
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            }

            var (status, _) = await client.ReceiveCloseAsync();
            Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        }
    }

    [Theory]
    [MemberData(nameof(Mounts))]
    public async Task StagePath_IsNotServed_WhenABasePathIsSet(string basePath, bool directUpgrade)
    {
        await using var harness = await StartAsync(basePath, directUpgrade);
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using var socket = new ClientWebSocket();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"ws://{harness.Gateway.BaseUri.Authority}/{Stage}"), CancellationToken.None));
        Assert.Contains("404", refused.Message, StringComparison.Ordinal);

        // As API Gateway answers a path its mapping does not know.
        using var viaStage = await harness.Http.GetAsync(new Uri($"http://{harness.Gateway.BaseUri.Authority}/{Stage}/@connections/{Uri.EscapeDataString(id)}"));
        Assert.Equal(HttpStatusCode.Forbidden, viaStage.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Mounts))]
    public async Task Events_CarryTheRealStage_AndTheHostAsDomainName(string basePath, bool directUpgrade)
    {
        await using var harness = await StartAsync(basePath, directUpgrade);
        var (client, _) = await harness.ConnectAsync();
        await using (client)
        {
            await client.SendTextAsync("hello");
            var message = await harness.Recorder.NextAsync("$default");
            Assert.Equal(Stage, message.Stage);
            // The custom domain's name is the Host the client used: a handler's callback URL is https://{domainName}/{basePath}.
            Assert.Equal(harness.Gateway.BaseUri.Authority, message.DomainName);
        }
    }

    /// <summary>
    /// At the root, <c>/</c> is both the executable's page and the WebSocket endpoint: a plain GET gets the page (with
    /// the base path meta), a GET with a WebSocket upgrade reaches the gateway — on the HTTP pipeline too, where the
    /// page middleware runs first.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task AtTheRoot_PlainGetGetsThePage_AndAHandshakeGetsTheGateway(bool directUpgrade)
    {
        using var webRoot = new TemporaryDirectory();
        await File.WriteAllTextAsync(Path.Combine(webRoot.Path, "index.html"), "<html><head><title>page</title></head><body></body></html>");
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Stage"] = Stage,
            ["Switchboard:BasePath"] = "",
            ["Switchboard:Transport:DirectUpgrade"] = directUpgrade ? "true" : "false",
        };
        await using var gateway = await TestGateway.StartAsync(
            settings,
            configureBuilder: builder => builder.Environment.WebRootFileProvider = new PhysicalFileProvider(webRoot.Path),
            configureApp: app => app.UseWebClientPage(_ => { }));
        using var http = new HttpClient();

        var page = await http.GetStringAsync(gateway.BaseUri);
        Assert.Contains("<meta name=\"switchboard-stage\" content=\"dev\"><meta name=\"switchboard-base-path\" content=\"\">", page, StringComparison.Ordinal);

        await using var client = await gateway.ConnectAsync();
        Assert.Equal("/", gateway.WebSocketUri.AbsolutePath);
        await client.SendTextAsync("hello");
    }
}
