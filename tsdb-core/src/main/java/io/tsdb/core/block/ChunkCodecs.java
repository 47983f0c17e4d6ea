package io.tsdb.core.block;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Registry of chunk codecs by encoding id, and the codec new blocks are written with. Readers resolve the
 * codec of every chunk by the id stored next to it, so blocks written with an older default stay readable.
 */
public final class ChunkCodecs {
    private static final AtomicReferenceArray<BlockChunkCodec> BY_ID = new AtomicReferenceArray<>(256);
    private static final AtomicReference<BlockChunkCodec> DEFAULT = new AtomicReference<>(ColumnarBlockCodec.INSTANCE);

    static {
        register(GorillaBlockCodec.INSTANCE);
        register(ColumnarBlockCodec.INSTANCE);
    }

    private ChunkCodecs() {}

    /** Registers a codec under its id; re-registering the same id with a different codec is refused. */
    public static void register(BlockChunkCodec codec) {
        int id = codec.id();
        if (id < 1 || id > 255) throw new IllegalArgumentException("codec id must be 1..255: " + id);
        if (id == ChunksFileFormat.ENC_HISTOGRAM || id == ChunksFileFormat.ENC_FLOAT_HISTOGRAM) {
            throw new IllegalArgumentException("chunk encoding id " + id + " is reserved for native histogram chunks");
        }
        if (!BY_ID.compareAndSet(id, null, codec) && BY_ID.get(id) != codec
                && BY_ID.get(id).getClass() != codec.getClass()) {
            throw new IllegalStateException("chunk encoding id " + id + " already taken by " + BY_ID.get(id).name());
        }
    }

    /** The codec for an encoding id, or null if unknown. */
    public static BlockChunkCodec byId(int id) { return id < 0 || id > 255 ? null : BY_ID.get(id); }

    /** The codec new blocks are written with. */
    public static BlockChunkCodec defaultCodec() { return DEFAULT.get(); }

    /** Sets (and registers) the codec new blocks are written with. */
    public static void setDefault(BlockChunkCodec codec) {
        register(codec);
        DEFAULT.set(codec);
    }
}
