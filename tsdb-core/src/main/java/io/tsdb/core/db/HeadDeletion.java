package io.tsdb.core.db;

import io.tsdb.core.Matcher;
import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.index.LabelIndex;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalFormat;
import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.RoaringBitmap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * delete_series on the head. Head samples are deleted physically (the series' chunks are rewritten without
 * them), so queries and the next flush never see them again. The deletion is logged first as a TOMBSTONES
 * record (docs/format/wal.md) and fsynced: a replay after a crash deletes, at the same point of the log, the
 * samples written before it and keeps the ones written after it, exactly as the live head does.
 *
 * <p>Two steps. {@link #prepare} runs with commits excluded (the caller holds the commit lock's write side) and
 * only selects the series, logs the record and marks the deletion pending in the head: milliseconds. {@link
 * Prepared#apply} then rewrites the series' samples with commits running; a commit reaching a series first applies
 * the deletion to it before adding its own (later-logged) sample ({@link Head#beginDeletion}). Flushes are
 * excluded by the caller for both steps.
 */
final class HeadDeletion {
    /** Entries per TOMBSTONES record (20 bytes each: 1 MB records). */
    static final int MAX_ENTRIES_PER_RECORD = 50_000;

    private HeadDeletion() {}

    /** A deletion logged and pending in the head; {@link #apply} completes it and returns the series touched. */
    record Prepared(Head head, List<HeadSeries> series) {
        long apply() {
            if (series.isEmpty()) return 0;
            try {
                for (HeadSeries s : series) head.applyDeletion(s);
            } finally {
                head.endDeletion();
            }
            return series.size();
        }
    }

    /** Selects the series matching any selector with data in [mint, maxt], logs the deletion and marks it pending. */
    static Prepared prepare(Head head, LabelIndex index, Wal wal, List<List<Matcher>> selectors, long mint, long maxt) throws IOException {
        RoaringBitmap ids = new RoaringBitmap();
        for (List<Matcher> sel : selectors) ids.or(index.select(sel));
        List<HeadSeries> hit = new ArrayList<>();
        PeekableIntIterator it = ids.getIntIterator();
        while (it.hasNext()) {
            HeadSeries s = head.byId(it.next());
            if (s != null && s.touches(mint, maxt)) hit.add(s);
        }
        if (hit.isEmpty()) return new Prepared(head, hit);
        for (int from = 0; from < hit.size(); from += MAX_ENTRIES_PER_RECORD) {
            int n = Math.min(MAX_ENTRIES_PER_RECORD, hit.size() - from);
            ByteBuffer b = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 5 + n * WalFormat.SAMPLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            b.position(WalFormat.RECORD_HEADER_BYTES);
            b.put(WalFormat.TYPE_TOMBSTONES).putInt(n);
            for (int i = from; i < from + n; i++) b.putInt(hit.get(i).id).putLong(mint).putLong(maxt);
            WalFormat.seal(b);
            wal.write(b);
        }
        wal.syncAll();   // an admin request: durable whatever the fsync policy of writes
        head.beginDeletion(hit, mint, maxt);
        return new Prepared(head, hit);
    }
}
