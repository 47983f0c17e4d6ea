package io.tsdb.core.db;

import io.tsdb.core.head.Head;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.registry.LabelsCodec;
import io.tsdb.core.wal.Wal;
import io.tsdb.core.wal.WalFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The first records of a WAL segment started by a flush: every head series (SERIES records) and its newest
 * timestamp and value (SERIES_STATE records), so that replay never depends on the registry file alone and
 * duplicate and out-of-order checks survive a restart. Only series still in the head are logged: series that
 * went quiet were removed before the cut (see {@link SeriesCatalog#removeIdle()}).
 */
final class WalCheckpoint {
    private static final int STATES_PER_RECORD = 50_000;

    private WalCheckpoint() {}

    /**
     * Writes the checkpoint of {@code head} to {@code wal}; the caller excludes commits and series creation.
     * Series are written in id order, so that replay indexes them with bitmap appends rather than inserts.
     */
    static void write(Wal wal, Head head) throws IOException {
        java.util.List<HeadSeries> all = new java.util.ArrayList<>(head.seriesCount());
        head.forEach(all::add);
        all.sort(java.util.Comparator.comparingInt(s -> s.id));
        ByteBuffer[] buf = {ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN)};
        int[] count = {0};
        IOException[] err = {null};
        buf[0].position(WalFormat.RECORD_HEADER_BYTES + 5);
        all.forEach(s -> {
            if (err[0] != null) return;
            int len = LabelsCodec.encodedLength(s.labels);
            try {
                if (buf[0].remaining() < 8 + len) {
                    writeBatch(wal, buf[0], WalFormat.TYPE_SERIES, count[0]);
                    count[0] = 0;
                    int need = WalFormat.RECORD_HEADER_BYTES + 5 + 8 + len;
                    if (buf[0].capacity() < need) buf[0] = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
                    buf[0].clear().position(WalFormat.RECORD_HEADER_BYTES + 5);
                }
            } catch (IOException e) {
                err[0] = e;
                return;
            }
            ByteBuffer b = buf[0].putInt(s.id).putInt(len);
            b.position(LabelsCodec.encode(s.labels, b.array(), b.arrayOffset() + b.position()) - b.arrayOffset());
            count[0]++;
        });
        if (err[0] != null) throw err[0];
        if (count[0] > 0) writeBatch(wal, buf[0], WalFormat.TYPE_SERIES, count[0]);
        ByteBuffer st = ByteBuffer.allocate(WalFormat.RECORD_HEADER_BYTES + 5 + STATES_PER_RECORD * WalFormat.SAMPLE_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int[] n = {0};
        st.position(WalFormat.RECORD_HEADER_BYTES + 5);
        all.forEach(s -> {
            if (err[0] != null) return;
            long[] nt = head.newest(s);
            if (nt[0] == Long.MIN_VALUE) return;
            if (n[0] == STATES_PER_RECORD) {
                try {
                    writeBatch(wal, st, WalFormat.TYPE_SERIES_STATE, n[0]);
                } catch (IOException e) {
                    err[0] = e;
                    return;
                }
                n[0] = 0;
                st.clear().position(WalFormat.RECORD_HEADER_BYTES + 5);
            }
            st.putInt(s.id).putLong(nt[0]).putLong(nt[1]);
            n[0]++;
        });
        if (err[0] != null) throw err[0];
        if (n[0] > 0) writeBatch(wal, st, WalFormat.TYPE_SERIES_STATE, n[0]);
    }

    private static void writeBatch(Wal wal, ByteBuffer b, byte type, int count) throws IOException {
        b.put(WalFormat.RECORD_HEADER_BYTES, type);
        b.putInt(WalFormat.RECORD_HEADER_BYTES + 1, count);
        WalFormat.seal(b);
        wal.write(b);
    }

}
