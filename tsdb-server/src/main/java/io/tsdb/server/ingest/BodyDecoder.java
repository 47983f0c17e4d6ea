package io.tsdb.server.ingest;

import io.airlift.compress.MalformedInputException;
import io.airlift.compress.snappy.SnappyDecompressor;
import io.airlift.compress.zstd.ZstdInputStream;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.tsdb.server.http.HttpError;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import java.util.zip.ZipException;

/**
 * Decodes request bodies by Content-Encoding (identity, gzip, deflate, snappy block format, zstd) with a hard
 * cap on the decompressed size: a body that would decompress beyond {@code maxBytes} (a decompression bomb, or
 * a snappy header declaring a huge length) is refused with 413 before the memory is allocated. Decompressed
 * bytes are charged to the {@link IngestLimiter}'s memory budget (429 when it is exhausted).
 */
public final class BodyDecoder {
    public static final Set<String> ALL = Set.of("identity", "gzip", "deflate", "snappy", "zstd");
    private static final int CHUNK = 64 * 1024;
    /** Stateless (the Java implementation keeps no state between calls). */
    private static final SnappyDecompressor SNAPPY = new SnappyDecompressor();
    private static final ThreadLocal<byte[]> CHUNKS = ThreadLocal.withInitial(() -> new byte[CHUNK]);

    private final long maxBytes;
    private final IngestLimiter limiter;
    /**
     * Decompressed bodies come from this server's own pool of heap buffers (no per-request garbage), with one
     * arena: each arena of Netty's pool keeps the last 4 MiB chunk it freed for reuse, so the shared default
     * allocator (two arenas per core) held 12-17 MB of heap in freed chunks for as long as the process ran (heap
     * dumps of the series churn benchmark). A request allocates its body once, so the arena's lock is not
     * contended; no thread caches (bodies are larger than what they keep).
     */
    private final io.netty.buffer.ByteBufAllocator alloc =
            new io.netty.buffer.PooledByteBufAllocator(false, 1, 0, 8192, 9, 0, 0, false);

    public BodyDecoder(long maxBytes, IngestLimiter limiter) {
        this.maxBytes = maxBytes;
        this.limiter = limiter;
    }

    public long maxBytes() { return maxBytes; }

    /**
     * @param contentEncoding the Content-Encoding header or null
     * @param defaultEncoding encoding assumed when the header is absent (e.g. "snappy" for remote write)
     * @param allowed         encodings this endpoint accepts (others get 415)
     */
    public DecodedBody decode(ByteBuf body, String contentEncoding, String defaultEncoding, Set<String> allowed) {
        String enc = normalize(contentEncoding, defaultEncoding);
        if (!allowed.contains(enc)) {
            throw new HttpError(415, "unsupported Content-Encoding \"" + contentEncoding + "\"; this endpoint accepts "
                    + String.join(", ", new java.util.TreeSet<>(allowed)));
        }
        long wire = body.readableBytes();
        if (wire > maxBytes) throw tooLarge("request body of " + wire + " bytes");
        return switch (enc) {
            case "identity" -> new DecodedBody(body, false, null, 0, wire, enc);
            case "snappy" -> snappy(body);
            default -> stream(body, enc);
        };
    }

    static String normalize(String contentEncoding, String defaultEncoding) {
        if (contentEncoding == null || contentEncoding.isBlank()) return defaultEncoding;
        String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
        return switch (e) {
            case "x-gzip" -> "gzip";
            case "x-snappy", "snappy-block" -> "snappy";
            case "zstandard" -> "zstd";
            default -> e;
        };
    }

    private HttpError tooLarge(String what) {
        return new HttpError(413, what + " exceeds the maximum body size of " + maxBytes
                + " bytes (--ingest.max-body-size; the decompressed size counts)");
    }

    private HttpError budgetFull() {
        return new HttpError(429, "ingest memory budget of " + limiter.budgetBytes()
                + " bytes for request bodies is in use by other requests; retry later", "1");
    }

    private DecodedBody snappy(ByteBuf body) {
        int n = body.readableBytes();
        // Block format starts with the uncompressed length as a varint (at most 5 bytes for 32 bits).
        long declared = 0;
        int shift = 0, i = 0;
        while (true) {
            if (i >= n || i >= 5) throw new HttpError(400, "invalid snappy body: missing or malformed length header (is the body snappy block-compressed?)");
            byte b = body.getByte(body.readerIndex() + i++);
            declared |= (long) (b & 0x7f) << shift;
            if (b >= 0) break;
            shift += 7;
        }
        if (declared > maxBytes) throw tooLarge("snappy body declaring " + declared + " decompressed bytes");
        if (!limiter.tryReserve(declared)) throw budgetFull();
        boolean ok = false;
        ByteBuf copy = null;
        // pooled heap buffers: no per-request garbage for the compressed copy or the decompressed bytes
        // a large body takes a kept array (BodyBuffers), not a chunk of the pool of its own
        byte[] spare = declared >= BodyBuffers.MIN_BYTES ? BodyBuffers.take((int) declared) : null;
        ByteBuf out = spare != null ? io.netty.buffer.Unpooled.wrappedBuffer(spare, 0, (int) declared).clear()
                : alloc.heapBuffer((int) declared, (int) declared);
        try {
            byte[] in;
            int inOff;
            if (body.hasArray()) {
                in = body.array();
                inOff = body.arrayOffset() + body.readerIndex();
            } else {
                copy = alloc.heapBuffer(n, n);
                body.getBytes(body.readerIndex(), copy, n);
                in = copy.array();
                inOff = copy.arrayOffset() + copy.readerIndex();
            }
            int got;
            try {
                got = SNAPPY.decompress(in, inOff, n, out.array(), out.arrayOffset(), (int) declared);
            } catch (MalformedInputException | IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new HttpError(400, "invalid snappy body: " + e.getMessage());
            }
            if (got != declared) throw new HttpError(400, "invalid snappy body: header declares " + declared + " bytes but " + got + " decoded");
            out.writerIndex(got);
            ok = true;
            return new DecodedBody(out, true, limiter, declared, n, "snappy", spare);
        } finally {
            if (copy != null) copy.release();
            if (!ok) {
                out.release();
                BodyBuffers.give(spare);
                limiter.release(declared);
            }
        }
    }

    private DecodedBody stream(ByteBuf body, String enc) {
        ByteBuf out = alloc.heapBuffer(Math.min(CHUNK, (int) Math.min(Integer.MAX_VALUE, maxBytes)), (int) Math.min(Integer.MAX_VALUE, maxBytes));
        long reserved = 0;
        boolean ok = false;
        try (InputStream in = open(new ByteBufInputStream(body.duplicate()), enc)) {
            byte[] chunk = CHUNKS.get();
            while (true) {
                int r = in.read(chunk, 0, chunk.length);
                if (r < 0) break;
                if (r == 0) continue;
                long total = (long) out.writerIndex() + r;
                if (total > maxBytes) throw tooLarge("decompressed " + enc + " body (more than " + maxBytes + " bytes)");
                if (total > reserved) {
                    long more = Math.max(total - reserved, CHUNK * 4L);
                    more = Math.min(more, maxBytes - reserved);
                    if (!limiter.tryReserve(more)) throw budgetFull();
                    reserved += more;
                }
                out.writeBytes(chunk, 0, r);
            }
            ok = true;
            return new DecodedBody(out, true, limiter, reserved, body.readableBytes(), enc);
        } catch (EOFException e) {
            throw new HttpError(400, "invalid " + enc + " body: truncated stream (unexpected end of input)");
        } catch (ZipException e) {
            throw new HttpError(400, "invalid " + enc + " body: " + e.getMessage());
        } catch (IOException | MalformedInputException | IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException e) {
            throw new HttpError(400, "invalid " + enc + " body: " + e.getMessage());
        } finally {
            if (!ok) {
                out.release();
                limiter.release(reserved);
            }
        }
    }

    private static InputStream open(InputStream raw, String enc) throws IOException {
        return switch (enc) {
            case "gzip" -> new GZIPInputStream(raw, CHUNK);
            case "deflate" -> new InflaterInputStream(raw);
            case "zstd" -> new ZstdInputStream(raw);
            default -> throw new IllegalStateException(enc);
        };
    }
}
