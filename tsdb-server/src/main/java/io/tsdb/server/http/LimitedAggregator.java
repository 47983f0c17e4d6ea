package io.tsdb.server.http;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.util.ReferenceCountUtil;

/**
 * {@link HttpObjectAggregator} whose 413 answers say what the limit is and carry the request ID, both when
 * Content-Length announces too much (also with {@code Expect: 100-continue}) and when a chunked body grows
 * past the limit.
 */
final class LimitedAggregator extends HttpObjectAggregator {
    private final HttpDispatcher dispatcher;

    LimitedAggregator(int maxContentLength, HttpDispatcher dispatcher) {
        super(maxContentLength);
        this.dispatcher = dispatcher;
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object r = super.newContinueResponse(start, maxContentLength, pipeline);
        if (r instanceof FullHttpResponse fr && fr.status().code() == 413) {
            ReferenceCountUtil.release(fr);
            return dispatcher.tooLarge(start, false, pipeline.channel().remoteAddress());
        }
        return r;
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
        FullHttpResponse res = dispatcher.tooLarge(oversized, close, ctx.channel().remoteAddress());
        if (close) {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(res).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
    }
}
