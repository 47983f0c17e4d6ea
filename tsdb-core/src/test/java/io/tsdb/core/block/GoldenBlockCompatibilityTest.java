package io.tsdb.core.block;

import io.tsdb.core.Matcher;
import io.tsdb.core.Querier;
import io.tsdb.core.SampleCursor;
import io.tsdb.core.SeriesSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Backward compatibility: blocks written by index format versions 1, 2 and 3 (checked in under
 * src/test/resources/io/tsdb/core/block/golden-v1, golden-v2 and golden-v3, one per chunk codec, written by
 * {@link GoldenBlocksMain}) must stay readable, bit for bit, by every later build. Never regenerate these files
 * to make this test pass; add a new golden set instead.
 */
class GoldenBlockCompatibilityTest {

    @ParameterizedTest
    @CsvSource({"1, gorilla, 01M8CCKETGVBBKWSYJYYP9WCSE, 1", "1, columnar, 01M8CCKFCZFY3V4YYMGG361NRJ, 2",
            "2, gorilla, 01M94XV1G9XC3JF2Y8K2G3PAPY, 1", "2, columnar, 01M94XV2QHC07MS8452C8DB7PA, 2",
            "3, gorilla, 01M9923JRTMMFYZW7A8JQYHT4Z, 1", "3, columnar, 01M9923K4ZKQ0M05TAXH72BEA7, 2"})
    void goldenBlocksReadBack(int version, String codec, String ulid, int encodingId) throws Exception {
        Path dir = Path.of(getClass().getResource("golden-v" + version + "/" + codec + "/" + ulid + "/meta.json").toURI()).getParent();
        try (Block b = Block.open(dir)) {
            BlockMeta m = b.meta();
            assertEquals(ulid, m.ulid());
            assertEquals(1_700_000_000_000L, m.minTime());
            assertEquals(1_700_000_000_000L + 7_200_000L - 1, m.maxTime());
            assertEquals(3, m.numSeries());
            assertEquals(300 + 7 + 40, m.numSamples());
            assertEquals(3 + 1 + 1, m.numChunks());
            assertEquals(1, m.level());
            assertEquals(List.of(ulid), m.sources());
            byte[] seg = java.nio.file.Files.readAllBytes(ChunksFileFormat.segmentPath(dir, 1));
            BlockFormatContractTest.R r = new BlockFormatContractTest.R(java.nio.ByteBuffer.wrap(seg), 8);
            r.uv();
            assertEquals(encodingId, seg[r.p] & 0xff, "encoding byte of the first chunk");
            try (Querier q = b.querier(Long.MIN_VALUE, Long.MAX_VALUE)) {
                assertEquals(List.of("__name__", "host", "job", "zone"), q.labelNames(List.of()));
                assertEquals(2, q.seriesCount(List.of(Matcher.eq("__name__", "cpu"))));
                SeriesSet s = q.select(List.of(Matcher.re("__name__", ".+")));
                for (int i = 0; i < GoldenData.LABELS.size(); i++) {
                    assertTrue(s.next());
                    assertEquals(GoldenData.LABELS.get(i), s.labels());
                    assertEquals(version == 1 ? -1 : GoldenData.IDS[i], s.seriesId(), "storage-wide id (index version 2 and later)");
                    long[] ts = GoldenData.ts(i);
                    double[] vs = GoldenData.vs(i);
                    SampleCursor c = s.cursor();
                    for (int k = 0; k < ts.length; k++) {
                        assertTrue(c.next());
                        assertEquals(ts[k], c.timestamp());
                        assertEquals(Double.doubleToRawLongBits(vs[k]), Double.doubleToRawLongBits(c.value()), "series " + i + " sample " + k);
                    }
                    assertFalse(c.next());
                }
                assertFalse(s.next());
            }
        }
    }
}
