package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The registry's in-memory fingerprints are 32-bit: label sets whose hashes collide must still be told apart
 * (the entry turns ambiguous and lookups probe the tiers), before and after a reopen, and the series count must
 * not merge them.
 */
class RegistryFingerprintTest {
    @TempDir Path dir;

    /** Two label sets with the same fingerprint, found by a birthday search (about 2^16 candidates). */
    static Labels[] collidingPair(String salt) {
        Map<Integer, Labels> seen = new HashMap<>();
        for (int i = 0; ; i++) {
            Labels l = Labels.of("__name__", "m", "pod", salt + i);
            Labels other = seen.putIfAbsent(SeriesRegistry.fingerprint(LabelsCodec.encode(l)), l);
            if (other != null) return new Labels[]{other, l};
        }
    }

    @Test
    void collidingLabelSetsKeepTheirOwnIdsAndCount() throws Exception {
        Labels[] pair = collidingPair("a-");
        Labels[] third = collidingPair("b-");
        assertNotEquals(pair[0], pair[1]);
        Labels absentTwin = third[1];
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            r.put(pair[0], 7);
            assertEquals(-1, r.get(pair[1]), "a colliding label set that is not registered is not found");
            r.put(pair[1], 8);
            r.put(third[0], 9);
            assertEquals(7, r.get(pair[0]));
            assertEquals(8, r.get(pair[1]));
            assertEquals(9, r.get(third[0]));
            assertEquals(-1, r.get(absentTwin), "shares its fingerprint with a registered series, but is not registered");
            assertTrue(r.isRegistered(pair[1], 8));
            assertFalse(r.isRegistered(pair[1], 7));
            assertEquals(3, r.size(), "colliding series are counted apart");
        }
        try (SeriesRegistry r = SeriesRegistry.open(dir, 1024)) {
            assertEquals(7, r.get(pair[0]));
            assertEquals(8, r.get(pair[1]));
            assertEquals(-1, r.get(absentTwin));
            assertEquals(3, r.size());
        }
    }
}
