using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Switchboard.Connections;
using Switchboard.Testing;

namespace Switchboard.FunctionalTests;

/// <summary>
/// The <c>@connections</c> management API over raw HTTP, as an AWS SDK or a backend sees it: status codes,
/// <c>x-amzn-ErrorType</c>, <c>x-amzn-RequestId</c>, bodies, and what the WebSocket client receives.
/// </summary>
public sealed partial class ManagementApiTests
{
    private static readonly Regex AwsTimestamp = TimestampPattern();

    [Theory]
    [InlineData("hello")]
    [InlineData("héllo wörld — テスト 🚀 ∑")]
    [InlineData("{\"type\":\"chat\",\"text\":\"ü \\\"quoted\\\"\",\"n\":[1,2.5,null,true]}")]
    public async Task PostToConnection_DeliversBodyAsOneTextMessage_AndAnswers200WithEmptyBody(string text)
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using var response = await harness.PostAsync(id, Encoding.UTF8.GetBytes(text));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertRequestId(response);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        var (type, payload) = await client.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Text, type);
        Assert.Equal(Encoding.UTF8.GetBytes(text), payload);
    }

    [Fact]
    public async Task PostToConnection_NonUtf8Body_ArrivesAsByteExactBinaryMessage()
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        byte[] data = [0xFF, 0xFE, 0x00, 0x80, 0xC3, 0x28, 0x41, 0xED, 0xA0, 0x80];

        using var response = await harness.PostAsync(id, data);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var (type, payload) = await client.ReceiveAsync();
        Assert.Equal(WebSocketMessageType.Binary, type);
        Assert.Equal(data, payload);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PostToConnection_BodyOverMaxPostBytes_Returns413WithJsonMessage_AndClientReceivesNothing(bool withContentLength)
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Limits:MaxPostBytes"] = "1000" });
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        // Exactly the limit is fine; one byte more is not.
        using (var atLimit = await harness.PostAsync(id, Body(new string('a', 1000), withContentLength)))
        {
            Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        }

        Assert.Equal(new string('a', 1000), await client.ReceiveTextAsync());

        using var response = await harness.PostAsync(id, Body(new string('b', 1001), withContentLength));

        await AssertAwsErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PayloadTooLargeException", emptyBody: false);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("1000", await ReadErrorMessageAsync(response), StringComparison.Ordinal);

        // Ordered delivery makes the marker the proof that the oversized body never reached the client.
        await AssertPostedAsync(harness, id, "marker");
        Assert.Equal("marker", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task PostToConnection_500Posts_ArriveInTheOrderTheyWereAccepted()
    {
        const int count = 500;
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var receiving = Task.Run(async () =>
        {
            var received = new List<string>(count);
            while (received.Count < count)
            {
                received.Add(await client.ReceiveTextAsync(TimeSpan.FromSeconds(30)));
            }

            return received;
        });

        for (var i = 0; i < count; i++)
        {
            using var response = await harness.PostAsync(id, Encoding.UTF8.GetBytes($"message {i}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var messages = await receiving.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"message {i}"), messages);
    }

    [Fact]
    public async Task PostToConnection_WhenClientNeverReads_EventuallyReturns429_WhileOtherClientsStillReceivePromptly()
    {
        await using var harness = await Harness.StartAsync(new()
        {
            ["Switchboard:Limits:MaxQueuedMessagesPerConnection"] = "4",
            ["Switchboard:Limits:CloseTimeout"] = "00:00:01",
        });
        var (slow, slowId) = await harness.ConnectAsync();
        var (fast, fastId) = await harness.ConnectAsync();
        await using var _ = fast;
        var chunk = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));

        try
        {
            // The slow client never reads: socket buffers fill, then its queue, then PostToConnection says 429.
            var accepted = 0;
            while (true)
            {
                using var response = await harness.PostAsync(slowId, chunk);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    await AssertAwsErrorAsync(response, HttpStatusCode.TooManyRequests, "LimitExceededException", emptyBody: true);
                    break;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.True(++accepted < 5000, "5000 x 64 KB accepted for a client that never reads: the queue limit is not enforced");
            }

            // The stuck client neither delays nor blocks anyone else.
            var stopwatch = Stopwatch.StartNew();
            using (var broadcast = await harness.Http.PostAsync(harness.Url("/@broadcast"), new ByteArrayContent("to everyone"u8.ToArray())))
            {
                Assert.Equal(HttpStatusCode.OK, broadcast.StatusCode);
                using var result = JsonDocument.Parse(await broadcast.Content.ReadAsStringAsync());
                // The slow client counts only if its writer drained a frame into a TCP buffer that autotuning grew meanwhile.
                Assert.InRange(result.RootElement.GetProperty("recipients").GetInt64(), 1, 2);
            }

            Assert.Equal("to everyone", await fast.ReceiveTextAsync(TimeSpan.FromSeconds(5)));
            await AssertPostedAsync(harness, fastId, "direct");
            Assert.Equal("direct", await fast.ReceiveTextAsync(TimeSpan.FromSeconds(5)));
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"delivery to the fast client took {stopwatch.Elapsed}");
        }
        finally
        {
            slow.Socket.Abort();
            await slow.DisposeAsync();
        }
    }

    [Fact]
    public async Task EndpointWithTrailingSlash_DoubleSlashPath_IsServed()
    {
        // AWS SDK v3 keeps a trailing slash of its endpoint and sends /production//@connections/{id}.
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using var response = await harness.Http.PostAsync(
            new Uri($"{harness.Gateway.ManagementEndpoint}//@connections/{Uri.EscapeDataString(id)}"),
            new ByteArrayContent("via double slash"u8.ToArray()));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("via double slash", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task GetConnection_Returns200WithAwsShapedJson()
    {
        await using var harness = await Harness.StartAsync();
        var before = TruncateToMilliseconds(DateTimeOffset.UtcNow);
        var (client, id) = await harness.ConnectAsync(options => options.SetRequestHeader("User-Agent", "SwitchboardTests/1.0 (functional)"));
        await using var _ = client;
        var after = DateTimeOffset.UtcNow;

        using var response = await harness.Http.GetAsync(harness.Gateway.ConnectionUri(id));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertRequestId(response);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = document.RootElement;
        Assert.Equal(["connectedAt", "identity", "lastActiveAt"], root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var connectedAt = ParseAwsTimestamp(root.GetProperty("connectedAt").GetString()!);
        var lastActiveAt = ParseAwsTimestamp(root.GetProperty("lastActiveAt").GetString()!);
        Assert.InRange(connectedAt, before, after);
        Assert.InRange(lastActiveAt, connectedAt, after);
        var identity = root.GetProperty("identity");
        Assert.Equal("127.0.0.1", identity.GetProperty("sourceIp").GetString());
        Assert.Equal("SwitchboardTests/1.0 (functional)", identity.GetProperty("userAgent").GetString());
    }

    [Fact]
    public async Task GetConnection_LastActiveAtMovesForward_WhenADataFrameCrossesTheConnection()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero));
        await using var harness = await Harness.StartAsync(configure: services => services.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)));
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        Assert.Equal(("2025-01-02T03:04:05.678Z", "2025-01-02T03:04:05.678Z"), await GetTimestampsAsync(harness, id));

        clock.Advance(TimeSpan.FromSeconds(5));
        await client.SendTextAsync("{\"action\":\"anything\"}");
        await harness.Recorder.NextAsync("$default");

        Assert.Equal(("2025-01-02T03:04:05.678Z", "2025-01-02T03:04:10.678Z"), await GetTimestampsAsync(harness, id));

        // A message the gateway sends counts too.
        clock.Advance(TimeSpan.FromMilliseconds(1500));
        await AssertPostedAsync(harness, id, "outbound");
        Assert.Equal("outbound", await client.ReceiveTextAsync());

        Assert.Equal(("2025-01-02T03:04:05.678Z", "2025-01-02T03:04:12.178Z"), await GetTimestampsAsync(harness, id));
    }

    [Fact]
    public async Task DeleteConnection_Returns204_ClosesWith1000_RunsDisconnect_ThenEveryCallAnswers410()
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        using (var response = await harness.Http.DeleteAsync(harness.Gateway.ConnectionUri(id)))
        {
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            AssertRequestId(response);
            Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        }

        // Not open any more from the moment DELETE answered, before the close handshake is over.
        await AssertGoneEverywhereAsync(harness, id);

        var (status, _) = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        await client.Socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);

        var disconnect = await harness.Recorder.NextAsync("$disconnect");
        Assert.Equal(id, disconnect.ConnectionId);
        Assert.Equal(1000, disconnect.DisconnectStatusCode);
        Assert.Equal("Connection Closed Normally", disconnect.DisconnectReason);

        await AssertGoneEverywhereAsync(harness, id);
        Assert.DoesNotContain(id, await harness.Gateway.ListIdsAsync(harness.Http));
    }

    [Fact]
    public async Task UnknownWellFormedId_Answers410GoneWithEmptyBody_ForGetPostAndDelete()
    {
        await using var harness = await Harness.StartAsync();
        await using var client = await harness.Gateway.ConnectAsync(); // something is open, just not this id

        await AssertGoneEverywhereAsync(harness, ConnectionId.New());
    }

    [Fact]
    public async Task PostToConnection_RightAfterTheClientClosed_Returns410()
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;

        await client.CloseAsync();
        using var response = await harness.PostAsync(id, "too late"u8.ToArray());

        await AssertAwsErrorAsync(response, HttpStatusCode.Gone, "GoneException", emptyBody: true);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("ABCDEFGHIJKLMNOPQ")] // 17 characters
    [InlineData("ABCDEFGHIJKLMNO=X")] // 17 characters ending after the '='
    [InlineData("ABCDEFGHIJKLMNOP")] // 16 characters, no '='
    [InlineData("ABCDEFGHIJKLMN*=")] // a character outside the URL-safe base64 alphabet
    [InlineData("ABCDEFGHIJKLMN+=")] // standard base64, not URL-safe
    [InlineData("ABCDEFGHIJKLMNé=")]
    public async Task MalformedConnectionId_Answers400BadRequestWithJsonMessage_ForEveryMethod(string id)
    {
        await using var harness = await Harness.StartAsync();
        var uri = harness.Gateway.ConnectionUri(id);

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, uri);
            if (method == HttpMethod.Post)
            {
                request.Content = new ByteArrayContent("hi"u8.ToArray());
            }

            using var response = await harness.Http.SendAsync(request);

            await AssertAwsErrorAsync(response, HttpStatusCode.BadRequest, "BadRequestException", emptyBody: false);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal($"Invalid connectionId: {id}", await ReadErrorMessageAsync(response));
        }
    }

    [Fact]
    public async Task DoublyEncodedId_IsDecodedOnce_AndRefusedAs400()
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        // %253D decodes once to %3D, which no id contains; decoded twice it would become '=' and reach the connection.
        var uri = new Uri($"{harness.Gateway.ManagementEndpoint}/@connections/{id.Replace("=", "%253D", StringComparison.Ordinal)}");

        using (var post = await harness.Http.PostAsync(uri, new ByteArrayContent("twice decoded"u8.ToArray())))
        {
            await AssertAwsErrorAsync(post, HttpStatusCode.BadRequest, "BadRequestException", emptyBody: false);
            Assert.Contains("%3D", await post.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await AssertPostedAsync(harness, id, "decoded once");
        Assert.Equal("decoded once", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("@connections", false)]
    [InlineData("%40connections", false)]
    [InlineData("@connections", true)]
    [InlineData("%40connections", true)]
    public async Task PercentEncodedPath_AsSdksSendIt_IsAccepted(string segment, bool encodeEquals)
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var encodedId = encodeEquals ? id.Replace("=", "%3D", StringComparison.Ordinal) : id;
        var uri = new Uri($"{harness.Gateway.ManagementEndpoint}/{segment}/{encodedId}");
        Assert.Contains(segment, uri.AbsoluteUri, StringComparison.Ordinal); // the URL goes out as written
        Assert.Contains(encodedId, uri.AbsoluteUri, StringComparison.Ordinal);

        using (var get = await harness.Http.GetAsync(uri))
        {
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }

        using (var post = await harness.Http.PostAsync(uri, new ByteArrayContent("via encoded path"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("via encoded path", await client.ReceiveTextAsync());

        using (var delete = await harness.Http.DeleteAsync(uri))
        {
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await client.ReceiveCloseAsync()).Status);
    }

    [Fact]
    public async Task AnotherStage_Answers403Forbidden_AndTouchesNothing()
    {
        await using var harness = await Harness.StartAsync();
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        var wrongStage = new Uri($"{harness.Gateway.BaseUri}dev/@connections/{Uri.EscapeDataString(id)}");

        foreach (var method in new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Delete })
        {
            using var request = new HttpRequestMessage(method, wrongStage);
            if (method == HttpMethod.Post)
            {
                request.Content = new ByteArrayContent("wrong stage"u8.ToArray());
            }

            using var response = await harness.Http.SendAsync(request);
            await AssertAwsErrorAsync(response, HttpStatusCode.Forbidden, "ForbiddenException", emptyBody: true);
        }

        using (var list = await harness.Http.GetAsync(new Uri($"{harness.Gateway.BaseUri}dev/@connections")))
        {
            await AssertAwsErrorAsync(list, HttpStatusCode.Forbidden, "ForbiddenException", emptyBody: true);
        }

        // Neither the POST nor the DELETE reached the connection on the real stage.
        await AssertPostedAsync(harness, id, "still here");
        Assert.Equal("still here", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task EveryResponse_CarriesItsOwnRequestId()
    {
        await using var harness = await Harness.StartAsync();
        var ids = new List<string>();
        foreach (var uri in new[]
        {
            harness.Gateway.ConnectionUri(ConnectionId.New()),
            harness.Gateway.ConnectionUri("bad"),
            harness.Url("/@connections"),
            harness.Url("/@connections?limit=0"),
            new Uri($"{harness.Gateway.BaseUri}dev/@connections/{Uri.EscapeDataString(ConnectionId.New())}"),
        })
        {
            using var response = await harness.Http.GetAsync(uri);
            ids.Add(AssertRequestId(response));
        }

        using (var broadcast = await harness.Http.PostAsync(harness.Url("/@broadcast"), new ByteArrayContent("x"u8.ToArray())))
        {
            ids.Add(AssertRequestId(broadcast));
        }

        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task ListConnections_PagesWithLimitAndNextToken_ReturningEveryIdExactlyOnceInOrder()
    {
        await using var harness = await Harness.StartAsync();
        var clients = new List<TestClient>();
        var expected = new List<string>();
        try
        {
            for (var i = 0; i < 5; i++)
            {
                var (client, id) = await harness.ConnectAsync();
                clients.Add(client);
                expected.Add(id);
            }

            var pages = new List<List<string>>();
            string? nextToken = null;
            do
            {
                var url = harness.Url("/@connections?limit=2" + (nextToken is null ? "" : "&nextToken=" + Uri.EscapeDataString(nextToken)));
                using var response = await harness.Http.GetAsync(url);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                AssertRequestId(response);
                using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var items = document.RootElement.GetProperty("items").EnumerateArray().ToList();
                foreach (var item in items)
                {
                    Assert.Matches(AwsTimestamp, item.GetProperty("connectedAt").GetString()!);
                    Assert.Matches(AwsTimestamp, item.GetProperty("lastActiveAt").GetString()!);
                    Assert.Equal("127.0.0.1", item.GetProperty("identity").GetProperty("sourceIp").GetString());
                }

                pages.Add(items.Select(item => item.GetProperty("connectionId").GetString()!).ToList());
                var token = document.RootElement.GetProperty("nextToken");
                nextToken = token.ValueKind == JsonValueKind.Null ? null : token.GetString();
                Assert.True(pages.Count <= 5, "paging does not end");
            }
            while (nextToken is not null);

            Assert.Equal([2, 2, 1], pages.Select(page => page.Count));
            Assert.Equal(expected.Order(StringComparer.Ordinal), pages.SelectMany(page => page));

            // A limit that covers everything needs no second page.
            using var whole = JsonDocument.Parse(await harness.Http.GetStringAsync(harness.Url("/@connections?limit=5")));
            Assert.Equal(5, whole.RootElement.GetProperty("items").GetArrayLength());
            Assert.Equal(JsonValueKind.Null, whole.RootElement.GetProperty("nextToken").ValueKind);
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=abc")]
    [InlineData("limit=-1")]
    [InlineData("limit=1001")]
    [InlineData("nextToken=not-an-id")]
    public async Task ListConnections_InvalidQuery_Answers400BadRequest(string query)
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.GetAsync(harness.Url("/@connections?" + query));

        await AssertAwsErrorAsync(response, HttpStatusCode.BadRequest, "BadRequestException", emptyBody: false);
        Assert.NotEmpty(await ReadErrorMessageAsync(response));
    }

    [Fact]
    public async Task Broadcast_ReachesEveryClient_AndReportsRecipients()
    {
        await using var harness = await Harness.StartAsync();
        await using var first = await harness.Gateway.ConnectAsync();
        await using var second = await harness.Gateway.ConnectAsync();
        await using var third = await harness.Gateway.ConnectAsync();

        using var response = await harness.Http.PostAsync(harness.Url("/@broadcast"), new ByteArrayContent(Encoding.UTF8.GetBytes("to all ✓")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertRequestId(response);
        Assert.Equal("{\"recipients\":3}", await response.Content.ReadAsStringAsync());
        foreach (var client in new[] { first, second, third })
        {
            Assert.Equal("to all ✓", await client.ReceiveTextAsync());
        }
    }

    [Fact]
    public async Task RemoteCaller_WhenAllowRemoteIsFalse_Gets403Forbidden()
    {
        await using var harness = await Harness.StartAsync(configure: RemoteAddressFromHeader.Install);
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        using var remote = RemoteCaller.Create();

        foreach (var uri in new[] { harness.Gateway.ConnectionUri(id), harness.Url("/@connections") })
        {
            using var get = await remote.Http.GetAsync(uri);
            await AssertAwsErrorAsync(get, HttpStatusCode.Forbidden, "ForbiddenException", emptyBody: true);
        }

        using (var post = await remote.Http.PostAsync(harness.Gateway.ConnectionUri(id), new ByteArrayContent("from afar"u8.ToArray())))
        {
            await AssertAwsErrorAsync(post, HttpStatusCode.Forbidden, "ForbiddenException", emptyBody: true);
        }

        using (var delete = await remote.Http.DeleteAsync(harness.Gateway.ConnectionUri(id)))
        {
            await AssertAwsErrorAsync(delete, HttpStatusCode.Forbidden, "ForbiddenException", emptyBody: true);
        }

        // Nothing got through: the next message is the loopback caller's.
        await AssertPostedAsync(harness, id, "local");
        Assert.Equal("local", await client.ReceiveTextAsync());
    }

    [Fact]
    public async Task RemoteCaller_WhenAllowRemoteIsTrue_IsServed()
    {
        await using var harness = await Harness.StartAsync(new() { ["Switchboard:Management:AllowRemote"] = "true" }, RemoteAddressFromHeader.Install);
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        using var remote = RemoteCaller.Create();

        using (var post = await remote.Http.PostAsync(harness.Gateway.ConnectionUri(id), new ByteArrayContent("from afar"u8.ToArray())))
        {
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        }

        Assert.Equal("from afar", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("127.0.0.2", HttpStatusCode.OK)]
    [InlineData("::1", HttpStatusCode.OK)]
    [InlineData("::ffff:127.0.0.1", HttpStatusCode.OK)] // how an IPv4 loopback caller looks on a dual-stack listener (http://*:8080)
    [InlineData("198.51.100.7", HttpStatusCode.Forbidden)]
    [InlineData("::ffff:198.51.100.7", HttpStatusCode.Forbidden)]
    [InlineData("2001:db8::7", HttpStatusCode.Forbidden)]
    public async Task CallerAddress_DecidesAccess_WhenAllowRemoteIsFalse(string address, HttpStatusCode expected)
    {
        await using var harness = await Harness.StartAsync(configure: RemoteAddressFromHeader.Install);
        var (client, id) = await harness.ConnectAsync();
        await using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Post, harness.Gateway.ConnectionUri(id)) { Content = new ByteArrayContent("first"u8.ToArray()) };
        request.Headers.Add(RemoteAddressFromHeader.Header, address);

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
        await AssertPostedAsync(harness, id, "second");
        Assert.Equal(expected == HttpStatusCode.OK ? "first" : "second", await client.ReceiveTextAsync());
    }

    private static HttpContent Body(string text, bool withContentLength)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return withContentLength ? new ByteArrayContent(bytes) : new ChunkedContent(bytes);
    }

    private static async Task AssertPostedAsync(Harness harness, string id, string text)
    {
        using var response = await harness.PostAsync(id, Encoding.UTF8.GetBytes(text));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task AssertGoneEverywhereAsync(Harness harness, string id)
    {
        var uri = harness.Gateway.ConnectionUri(id);
        using (var get = await harness.Http.GetAsync(uri))
        {
            await AssertAwsErrorAsync(get, HttpStatusCode.Gone, "GoneException", emptyBody: true);
        }

        using (var post = await harness.Http.PostAsync(uri, new ByteArrayContent("anyone?"u8.ToArray())))
        {
            await AssertAwsErrorAsync(post, HttpStatusCode.Gone, "GoneException", emptyBody: true);
        }

        using (var delete = await harness.Http.DeleteAsync(uri))
        {
            await AssertAwsErrorAsync(delete, HttpStatusCode.Gone, "GoneException", emptyBody: true);
        }
    }

    private static async Task<(string ConnectedAt, string LastActiveAt)> GetTimestampsAsync(Harness harness, string id)
    {
        using var document = JsonDocument.Parse(await harness.Http.GetStringAsync(harness.Gateway.ConnectionUri(id)));
        return (document.RootElement.GetProperty("connectedAt").GetString()!, document.RootElement.GetProperty("lastActiveAt").GetString()!);
    }

    /// <summary>The AWS error contract: status, <c>x-amzn-ErrorType</c>, <c>x-amzn-RequestId</c>, and a body that is empty or JSON.</summary>
    private static async Task AssertAwsErrorAsync(HttpResponseMessage response, HttpStatusCode status, string errorType, bool emptyBody)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.True(response.Headers.TryGetValues("x-amzn-ErrorType", out var types), "x-amzn-ErrorType is missing");
        Assert.Equal(errorType, Assert.Single(types));
        AssertRequestId(response);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (emptyBody)
        {
            Assert.Empty(body);
        }
        else
        {
            using var _ = JsonDocument.Parse(body);
        }
    }

    private static string AssertRequestId(HttpResponseMessage response)
    {
        Assert.True(response.Headers.TryGetValues("x-amzn-RequestId", out var values), $"x-amzn-RequestId is missing ({(int)response.StatusCode})");
        var requestId = Assert.Single(values);
        Assert.True(ConnectionId.IsWellFormed(requestId), $"request id '{requestId}' is not in API Gateway's shape");
        return requestId;
    }

    private static async Task<string> ReadErrorMessageAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var member = Assert.Single(document.RootElement.EnumerateObject());
        Assert.Equal("message", member.Name);
        return member.Value.GetString()!;
    }

    private static DateTimeOffset ParseAwsTimestamp(string text)
    {
        Assert.Matches(AwsTimestamp, text);
        return DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static DateTimeOffset TruncateToMilliseconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")]
    private static partial Regex TimestampPattern();

    /// <summary>A body of unknown length: sent chunked, so the server cannot reject it by Content-Length.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
