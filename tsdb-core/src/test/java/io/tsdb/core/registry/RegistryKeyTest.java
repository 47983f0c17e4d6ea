package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.hash.serialization.impl.ByteArrayDataAccess;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RegistryKeyTest {
    @TempDir Path dir;

    @Test
    void hashIsChronicleMapsOwnHashOfTheSameBytes() {
        for (int i = 0; i < 200; i++) {
            Labels l = Labels.of("__name__", "m" + (i % 7), "pod", "pod-" + Integer.toHexString(0x1000000 + i), "zone", "z".repeat(i % 40));
            RegistryKey k = new RegistryKey(LabelsCodec.encode(l));
            byte[] bytes = LabelsCodec.encode(l);
            assertArrayEquals(bytes, k.key);
            var chronicles = new ByteArrayDataAccess().getData(bytes);
            assertEquals(chronicles.hash(RegistryKey.HASH), k.hash(RegistryKey.HASH));
            assertEquals(chronicles.size(), k.size());
            assertEquals(SeriesRegistry.fingerprint(bytes), k.fingerprint());
        }
    }

    /** A key put with its own hash is found by Chronicle Map's get with the plain byte[] key, and the other way round. */
    @Test
    void putWithThePrecomputedHashIsFoundByPlainLookups() throws Exception {
        RegistryTier t = new RegistryTier(0, dir.resolve(RegistryFormat.tierFileName(0)));
        t.open(4096, false);
        try {
            ChronicleMap<byte[], Integer> m = t.map();
            for (int i = 0; i < 1000; i++) {
                RegistryKey k = new RegistryKey(LabelsCodec.encode(Labels.of("__name__", "m", "i", Integer.toString(i))));
                assertNull(t.put(k, i));
            }
            for (int i = 0; i < 1000; i++) {
                assertEquals(i, m.get(LabelsCodec.encode(Labels.of("__name__", "m", "i", Integer.toString(i)))));
            }
            m.put(LabelsCodec.encode(Labels.of("__name__", "m", "i", "x")), 5000);
            assertEquals(5000, t.put(new RegistryKey(LabelsCodec.encode(Labels.of("__name__", "m", "i", "x"))), 5001));
            assertEquals(5001, m.get(LabelsCodec.encode(Labels.of("__name__", "m", "i", "x"))));
        } finally {
            t.seal();
        }
    }
}
