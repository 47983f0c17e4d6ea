package io.tsdb.server.ingest;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/** The label cache shared by an endpoint's worker threads: exact byte keys, no cross-talk, bounded. */
class LabelCacheTest {
    private static KeyBuffer key(String s) {
        return new KeyBuffer().reset().put(s);
    }

    @Test
    void hitsReturnTheStoredInstanceOnlyForTheSameBytes() {
        LabelCache c = new LabelCache(100);
        Labels a = Labels.of("__name__", "a"), b = Labels.of("__name__", "b");
        assertNull(c.get(key("series-a")));
        c.put(key("series-a"), a);
        c.put(key("series-b"), b);
        assertSame(a, c.get(key("series-a")));
        assertSame(b, c.get(key("series-b")));
        assertNull(c.get(key("series-")), "a prefix is another key");
        assertNull(c.get(key("series-aa")));
        Labels a2 = Labels.of("__name__", "a");
        c.put(key("series-a"), a2);
        assertSame(a2, c.get(key("series-a")), "put replaces");
        assertEquals(2, c.size());
        assertEquals(3, c.hits());
    }

    @Test
    void isClearedWhenFull() {
        LabelCache c = new LabelCache(8);
        for (int i = 0; i < 8; i++) c.put(key("k" + i), Labels.of("__name__", "m" + i));
        assertEquals(8, c.size());
        c.put(key("k8"), Labels.of("__name__", "m8"));
        assertEquals(1, c.size());
        assertNull(c.get(key("k0")));
        assertNotNull(c.get(key("k8")));
    }

    @Test
    void threadsSharingTheCacheSeeOnlyTheirKeysLabels() throws Exception {
        LabelCache c = new LabelCache(1 << 16);
        int threads = 4, keys = 2000;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    KeyBuffer k = new KeyBuffer();
                    for (int round = 0; round < 5; round++) {
                        for (int i = 0; i < keys; i++) {
                            k.reset().put("series-" + i);
                            Labels l = c.get(k);
                            if (l == null) {
                                l = Labels.of("__name__", "m", "i", Integer.toString(i));
                                c.put(k, l);
                            }
                            assertEquals(Integer.toString(i), l.get("i"));
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        for (Thread th : ts) th.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        assertEquals(keys, c.size());
    }
}
