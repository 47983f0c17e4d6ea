package io.tsdb.core.block;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a golden set of blocks (the content of {@link GoldenData}, storage ids {@link GoldenData#IDS}) with
 * this build's format, one per chunk codec, under {@code <dir>/<codec>/<ulid>}. Run once per format version
 * and check the result in under src/test/resources/io/tsdb/core/block/golden-v&lt;N&gt;; never regenerate an
 * existing set.
 */
public final class GoldenBlocksMain {
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]);
        for (BlockChunkCodec c : new BlockChunkCodec[]{GorillaBlockCodec.INSTANCE, ColumnarBlockCodec.INSTANCE}) {
            Path d = Files.createDirectories(out.resolve(c == GorillaBlockCodec.INSTANCE ? "gorilla" : "columnar"));
            BlockMeta m = new BlockWriter(d).codec(c).maxSamplesPerChunk(128)
                    .write(GoldenData.seriesSet(), 1_700_000_000_000L, 1_700_000_000_000L + 7_200_000L - 1);
            System.out.println(d.resolve(m.ulid()));
        }
    }
}
