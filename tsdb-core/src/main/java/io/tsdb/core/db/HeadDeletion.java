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
 * samples written before it and keeps the ones written after it, exactly as the live head did.
 *
 * <p>The caller excludes commits (the commit lock's write side) and flushes for the duration, so the record's
 * position in the log and the head's state agree.
 */
final class HeadDeletion {
    /** Entries per TOMBSTONES record (20 bytes each: 1 MB records). */
    static final int MAX_ENTRIES_PER_RECORD = 50_000;

    private HeadDeletion() {}

    /** Deletes the head samples in [mint, maxt] of series matching any selector; returns the series touched. */
    static long delete(Head head, LabelIndex index, Wal wal, List<List<Matcher>> selectors, long mint, long maxt) throws IOException {
        RoaringBitmap ids = new RoaringBitmap();
        for (List<Matcher> sel : selectors) ids.or(index.select(sel));
        List<HeadSeries> hit = new ArrayList<>();
        PeekableIntIterator it = ids.getIntIterator();
        while (it.hasNext()) {
            HeadSeries s = head.byId(it.next());
            if (s != null && s.touches(mint, maxt)) hit.add(s);
        }
        if (hit.isEmpty()) return 0;
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
        for (HeadSeries s : hit) head.deleteRange(s, mint, maxt);
        return hit.size();
    }
}
