package io.tsdb.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;

/**
 * {@link HttpObjectAggregator} whose 413 answers say what the limit is and carry the request ID, both when
 * Content-Length announces too much (also with {@code Expect: 100-continue}) and when a chunked body grows
 * past the limit.
 * <p>It never writes to the channel itself: every answer it produces (413, 417, the interim 100 Continue)
 * is passed on to {@link HttpDispatcher} as a {@link HttpDispatcher.Prebuilt}, which writes it in its turn,
 * after the responses to earlier pipelined requests on the connection.
 */
final class LimitedAggregator extends HttpObjectAggregator {
    /** Returned to the base class instead of a continue response: it writes it, and an empty buffer writes nothing. */
    private static final Object NOTHING = Unpooled.EMPTY_BUFFER;
    private final HttpDispatcher dispatcher;
    /** Whether the body of the request whose expectation was just answered is to be skipped (refused). */
    private boolean skipContent;

    LimitedAggregator(int maxContentLength, HttpDispatcher dispatcher) {
        super(maxContentLength);
        this.dispatcher = dispatcher;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        String expect = start.headers().get(HttpHeaderNames.EXPECT);
        Object r = super.newContinueResponse(start, maxContentLength, pipeline);
        if (!(r instanceof FullHttpResponse fr)) return r;
        int code = fr.status().code();
        HttpDispatcher.Prebuilt answer;
        HttpDispatcher.Prebuilt refused = code == 100 ? dispatcher.unauthorizedBeforeContinue(start, pipeline.channel().remoteAddress()) : null;
        if (refused != null) {
            fr.release();
            answer = refused;
            skipContent = true;
        } else if (code == 100) {
            answer = new HttpDispatcher.Prebuilt(fr, false);
            skipContent = false;
        } else {
            fr.release();
            answer = code == 413
                    ? dispatcher.tooLarge(start, false, pipeline.channel().remoteAddress())
                    : dispatcher.expectationFailed(start, expect, pipeline.channel().remoteAddress());
            skipContent = true;
        }
        pipeline.context(this).fireChannelRead(answer);
        return NOTHING;
    }

    @Override
    protected boolean ignoreContentAfterContinueResponse(Object msg) {
        return msg == NOTHING ? skipContent : super.ignoreContentAfterContinueResponse(msg);
    }

    @Override
    protected boolean closeAfterContinueResponse(Object msg) {
        return msg != NOTHING && super.closeAfterContinueResponse(msg);
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (!(oversized instanceof HttpRequest)) {
            ctx.close();
            return;
        }
        // Like Netty's default: keep the connection (the rest of the body is skipped) when the client said
        // keep-alive and we have not started aggregating; otherwise close after answering.
        boolean close = oversized instanceof FullHttpMessage
                || (!HttpUtil.is100ContinueExpected(oversized) && !HttpUtil.isKeepAlive(oversized));
        ctx.fireChannelRead(dispatcher.tooLarge(oversized, close, ctx.channel().remoteAddress()));
    }
}
