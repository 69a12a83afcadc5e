using Switchboard.Protocol;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Switchboard.Transport;

/// <summary>A handshake that came through Kestrel's HTTP pipeline to the <c>/{stage}</c> endpoint.</summary>
internal sealed class HttpContextUpgrade(HttpContext context) : WebSocketUpgrade(UpgradeRequest.From(context))
{
    private PipeReader? _input;

    public override CancellationToken Aborted => context.RequestAborted;

    public override void Abort() => context.Abort();

    public override ValueTask RefuseAsync(int statusCode)
    {
        context.Response.StatusCode = statusCode;
        return default;
    }

    public override async ValueTask<(PipeReader Input, Stream Output)> AcceptAsync(string? subProtocol)
    {
        var headers = context.Response.Headers;
        headers.Connection = "Upgrade";
        headers.Upgrade = "websocket";
        headers.SecWebSocketAccept = WebSocketHandshake.ComputeAccept(context.Request.Headers.SecWebSocketKey.ToString());
        if (!string.IsNullOrEmpty(subProtocol))
        {
            headers.SecWebSocketProtocol = subProtocol;
        }

        var stream = await context.Features.Get<IHttpUpgradeFeature>()!.UpgradeAsync().ConfigureAwait(false);
        // Zero-byte reads: an idle connection holds no read buffer.
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, minimumReadSize: 1024, leaveOpen: true, useZeroByteReads: true));
        return (_input, stream);
    }

    public override ValueTask CompleteAsync() => _input?.CompleteAsync() ?? default;
}
