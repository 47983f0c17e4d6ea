package io.tsdb.core.db;

import io.tsdb.core.AppendStatus;
import io.tsdb.core.Appender;
import io.tsdb.core.Labels;
import io.tsdb.core.head.HeadSeries;
import io.tsdb.core.wal.SamplesCodec;
import io.tsdb.core.wal.WalFormat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Stages samples in primitive arrays; commit writes one WAL record per batch, syncs, then applies to the head. */
final class TsdbAppender implements Appender {
    private final Tsdb db;
    private HeadSeries[] series = new HeadSeries[64];
    private long[] ts = new long[64];
    private double[] vs = new double[64];
    private int n;
    private String lastError;
    /**
     * The series of the previous append, by label-set identity: ingest hands the same {@link Labels} instance
     * for all samples of a series in a request, so this skips the head's hash lookup and full label compare
     * for every sample but the first. Reset on commit and rollback (series are never removed meanwhile).
     */
    private Labels lastLabels;
    private HeadSeries lastSeries;
    private ByteBuffer buf;
    private int[] ids = new int[64];

    TsdbAppender(Tsdb db) { this.db = db; }

    @Override public AppendStatus append(Labels labels, long timestampMs, double value) {
        if (db.isClosed()) return reject(AppendStatus.STORAGE_CLOSED, "storage is closed");
        HeadSeries s = labels == lastLabels ? lastSeries : db.head().get(labels);
        if (s == null) {
            Object r = db.getOrCreateSeries(labels);
            if (r instanceof Tsdb.Rejected rej) return reject(rej.status(), rej.message());
            s = (HeadSeries) r;
        }
        lastLabels = labels;
        lastSeries = s;
        long limit = db.now() + db.futureToleranceMs();
        if (timestampMs > limit) {
            return reject(AppendStatus.TOO_FAR_IN_FUTURE, "sample of " + s.labels + " at " + timestampMs
                    + " ms is more than " + db.futureToleranceMs() + " ms ahead of the server clock (" + (limit - db.futureToleranceMs()) + ")");
        }
        AppendStatus st = db.head().check(s, timestampMs, value);
        switch (st) {
            case OK -> {
                if (n == ts.length) grow();
                series[n] = s;
                ts[n] = timestampMs;
                vs[n] = value;
                n++;
                return AppendStatus.OK;
            }
            case DUPLICATE_SAME_VALUE -> {
                db.metrics().status(st);
                return st;
            }
            case TOO_OLD -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms is older than the out-of-order window ("
                        + db.head().oooWindowMs() + " ms) behind the series' newest sample at " + s.maxTime() + " ms");
            }
            case OUT_OF_ORDER -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms is older than the series' newest sample at "
                        + s.maxTime() + " ms and out-of-order ingestion is disabled");
            }
            case DUPLICATE_DIFFERENT_VALUE -> {
                return reject(st, "sample of " + s.labels + " at " + timestampMs + " ms already exists with a different value");
            }
            default -> {
                return reject(st, "sample of " + s.labels + " rejected: " + st.reason);
            }
        }
    }

    private AppendStatus reject(AppendStatus st, String message) {
        lastError = message;
        db.metrics().status(st);
        return st;
    }

    private void grow() {
        int cap = ts.length * 2;
        series = Arrays.copyOf(series, cap);
        ts = Arrays.copyOf(ts, cap);
        vs = Arrays.copyOf(vs, cap);
    }

    @Override public String lastError() { return lastError; }

    @Override public int pending() { return n; }

    @Override public void commit() throws IOException {
        if (n == 0) return;
        try {
            db.commit(this);
        } finally {
            clear();
        }
    }

    /** Encodes staged samples from {@code from} (at most one record's worth) into the reusable buffer. */
    ByteBuffer encode(int from, int count) {
        int need = WalFormat.RECORD_HEADER_BYTES + 1 + SamplesCodec.maxBodyBytes(count);
        if (buf == null || buf.capacity() < need) {
            buf = ByteBuffer.allocateDirect(Math.max(need, 4096)).order(ByteOrder.LITTLE_ENDIAN);
        }
        ByteBuffer b = buf;
        b.clear();
        b.position(WalFormat.RECORD_HEADER_BYTES);
        b.put(WalFormat.TYPE_SAMPLES_VARINT);
        if (ids.length < series.length) ids = new int[series.length];
        for (int i = from, end = from + count; i < end; i++) ids[i] = series[i].id;
        SamplesCodec.encode(b, ids, ts, vs, from, count);
        WalFormat.seal(b);
        return b;
    }

    int size() { return n; }
    HeadSeries series(int i) { return series[i]; }
    long timestamp(int i) { return ts[i]; }
    double value(int i) { return vs[i]; }

    private void clear() {
        lastLabels = null;
        lastSeries = null;
        Arrays.fill(series, 0, n, null);
        n = 0;
        if (buf != null && buf.capacity() > (1 << 20)) buf = null;
    }

    @Override public void rollback() { clear(); }
}
