package io.tsdb.core.registry;

import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * The series registry following retention ({@link SeriesRegistry#retainOnly}): sealed tiers rewritten without the
 * series that have no data left. Spec: docs/format/series-registry.md, "Following retention". Runs on the caller's
 * thread, taking the registry's monitor (and the caller's series-creation lock first, for the swap) as
 * {@link SeriesRegistry} documents.
 */
final class RegistryRetention {
    private static final Logger log = LoggerFactory.getLogger(SeriesRegistry.class);

    private RegistryRetention() {}

    /** See {@link SeriesRegistry#retainOnly}. */
    static SeriesRegistry.Shrink retainOnly(SeriesRegistry r, IntPredicate hasData, IntPredicate active, SeriesRegistry.CreationLock lock,
                                           double minFraction) throws IOException {
        int rewritten = 0;
        long removed = 0, kept = 0;
        int sealedTiers;
        synchronized (r) { sealedTiers = r.tiers.size() - 1; }
        for (int k = 0; k < sealedTiers && !r.closed; k++) {
            List<byte[]> keepKeys = new ArrayList<>(), dropKeys = new ArrayList<>();
            List<Integer> keepIds = new ArrayList<>(), dropIds = new ArrayList<>();
            RegistryTier t;
            synchronized (r) {
                t = r.tiers.get(k);
                boolean wasOpen = t.isOpen();
                r.mapOf(t).forEachEntry(e -> {
                    byte[] key = e.key().get();
                    if (RegistryTier.reserved(key)) return;
                    int id = e.value().get();
                    if (hasData.test(id)) { keepKeys.add(key.clone()); keepIds.add(id); }
                    else { dropKeys.add(key.clone()); dropIds.add(id); }
                });
                if (!wasOpen) t.seal();
            }
            int total = keepKeys.size() + dropKeys.size();
            if (dropKeys.isEmpty() || dropKeys.size() < minFraction * total) continue;
            Path tmp = t.file.resolveSibling(t.file.getFileName() + RegistryFormat.TMP_SUFFIX);
            r.fs.deleteIfExists(tmp);
            int minId = Integer.MAX_VALUE, maxId = -1;
            boolean written = false;
            try {
                try (ChronicleMap<byte[], Integer> m = RegistryTier.createAllocatedFor(r.fs, tmp, t.index, keepKeys)) {
                    for (int i = 0; i < keepKeys.size(); i++) {
                        if (i == keepKeys.size() / 2) r.rewriteHook.accept("tmp-half-written");
                        m.put(keepKeys.get(i), keepIds.get(i));
                        minId = Math.min(minId, keepIds.get(i));
                        maxId = Math.max(maxId, keepIds.get(i));
                    }
                }
                r.fs.fsyncFile(tmp);
                written = true;
            } finally {
                if (!written) RegistryTier.deleteQuietly(r.fs, tmp);
            }
            r.rewriteHook.accept("tmp-written");
            IOException[] err = {null};
            final int lo = minId, hi = maxId;
            lock.run(() -> {
                synchronized (r) {
                    if (r.closed) return;
                    // series that came back since the snapshot are registered again (same id, newest tier) before
                    // the old tier goes: a crash at any point leaves them registered
                    boolean[] back = new boolean[dropKeys.size()];
                    try {
                        for (int i = 0; i < dropKeys.size(); i++) {
                            if (active.test(dropIds.get(i))) {
                                back[i] = true;
                                r.putEncoded(dropKeys.get(i), dropIds.get(i));
                            }
                        }
                        t.seal();
                        r.rewriteHook.accept("before-rename");
                        r.fs.replace(tmp, t.file);
                        r.fs.fsyncDirectory(r.dir);
                        r.rewriteHook.accept("renamed");
                    } catch (IOException e) {
                        err[0] = e;
                        return;
                    }
                    t.releasePending = true;   // written allocated; its unused blocks are given back by closeIdleTiers
                    t.count = keepKeys.size();
                    t.minId = lo;
                    t.maxId = hi;
                    long[] gone = new long[dropKeys.size()];
                    int n = 0;
                    for (int i = 0; i < dropKeys.size(); i++) {
                        if (!back[i]) gone[n++] = Fingerprints.pair(SeriesRegistry.fingerprint(dropKeys.get(i)), dropIds.get(i));
                    }
                    r.fingerprints.removeAll(gone, n);
                    r.rewriteHook.accept("swapped");
                }
            });
            if (err[0] != null) {
                RegistryTier.deleteQuietly(r.fs, tmp);
                throw err[0];
            }
            rewritten++;
            removed += dropKeys.size();
            kept += keepKeys.size();
            log.info("series registry {}: rewrote tier {} without {} series that have no data left ({} kept)", r.dir, k, dropKeys.size(), keepKeys.size());
        }
        return rewritten == 0 ? SeriesRegistry.Shrink.NONE : new SeriesRegistry.Shrink(rewritten, removed, kept);
    }
}
