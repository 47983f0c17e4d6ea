package io.tsdb.core.histogram;

/**
 * Layout transformations done in place on primitive arrays: reducing the resolution of an exponential schema
 * (merging 2^(from-to) neighbouring buckets into one) and compaction (normal form of spans). Nothing is allocated
 * once the holders' scratch arrays have grown.
 */
final class Resolution {
    private Resolution() {}

    /**
     * Merges the absolute counts b[0, n) laid out by spans from schema {@code from} to schema {@code to} (< from),
     * in place; returns the new bucket count. Works in place because the output never runs ahead of the input:
     * a new target span can only start where an origin span starts.
     */
    static int reduce(Spans spans, double[] b, int n, int from, int to) {
        int outSpans = 0, out = 0, read = 0;
        long idx = 0, lastTarget = 0;
        for (int s = 0, ns = spans.size(); s < ns; s++) {
            int off = spans.offset(s), len = spans.length(s);
            idx = s == 0 ? off : idx + off;
            for (int j = 0; j < len; j++, idx++) {
                if (read >= n) throw new IllegalArgumentException("spans need more than the " + n + " buckets present");
                double c = b[read++];
                long t = ((idx - 1) >> (from - to)) + 1;
                if (out == 0) {
                    spans.setOffset(0, (int) t);
                    spans.setLength(0, 1);
                    outSpans = 1;
                    b[out++] = c;
                } else if (t == lastTarget) {
                    b[out - 1] += c;
                } else if (t == lastTarget + 1) {
                    spans.setLength(outSpans - 1, spans.length(outSpans - 1) + 1);
                    b[out++] = c;
                } else {
                    spans.setOffset(outSpans, (int) (t - lastTarget - 1));
                    spans.setLength(outSpans, 1);
                    outSpans++;
                    b[out++] = c;
                }
                lastTarget = t;
            }
        }
        if (read != n) throw new IllegalArgumentException("spans need " + read + " buckets, have " + n);
        spans.truncate(outSpans);
        return out;
    }

    /** As {@link #reduce(Spans, double[], int, int, int)} for delta-encoded integer buckets. */
    static int reduceDeltas(Spans spans, long[] b, int n, int from, int to) {
        int outSpans = 0, out = 0, read = 0;
        long idx = 0, lastTarget = 0, abs = 0, lastTargetAbs = 0;
        for (int s = 0, ns = spans.size(); s < ns; s++) {
            int off = spans.offset(s), len = spans.length(s);
            idx = s == 0 ? off : idx + off;
            for (int j = 0; j < len; j++, idx++) {
                if (read >= n) throw new IllegalArgumentException("spans need more than the " + n + " buckets present");
                abs += b[read++];
                long t = ((idx - 1) >> (from - to)) + 1;
                if (out == 0) {
                    spans.setOffset(0, (int) t);
                    spans.setLength(0, 1);
                    outSpans = 1;
                    b[out++] = abs;
                    lastTargetAbs = abs;
                } else if (t == lastTarget) {
                    b[out - 1] += abs;
                    lastTargetAbs += abs;
                } else {
                    if (t == lastTarget + 1) {
                        spans.setLength(outSpans - 1, spans.length(outSpans - 1) + 1);
                    } else {
                        spans.setOffset(outSpans, (int) (t - lastTarget - 1));
                        spans.setLength(outSpans, 1);
                        outSpans++;
                    }
                    b[out++] = abs - lastTargetAbs;
                    lastTargetAbs = abs;
                }
                lastTarget = t;
            }
        }
        if (read != n) throw new IllegalArgumentException("spans need " + read + " buckets, have " + n);
        spans.truncate(outSpans);
        return out;
    }

    /** Compacts one side of a float histogram (see {@link FloatHistogram#compact}); returns the new bucket count. */
    static int compact(FloatHistogram h, Spans spans, boolean positive, int n, int maxEmpty) {
        double[] in = positive ? h.positiveBuckets : h.negativeBuckets;
        Spans os = h.scratchSpans;
        os.clear();
        double[] out = h.scratch(n);
        int w = 0, read = 0;
        long idx = 0, last = 0;
        for (int s = 0, ns = spans.size(); s < ns && read < n; s++) {
            int len = spans.length(s);
            idx = s == 0 ? spans.offset(0) : idx + spans.offset(s);
            for (int j = 0; j < len && read < n; j++, idx++) {
                double c = in[read++];
                if (c == 0) continue;
                if (os.size() == 0) {
                    os.add((int) idx, 1);
                } else {
                    long gap = idx - last - 1;
                    if (gap <= maxEmpty) {
                        if (w + gap + 1 > out.length) out = grow(h, w, (int) (w + gap + 1));
                        for (long g = 0; g < gap; g++) out[w++] = 0;
                        os.setLength(os.size() - 1, os.length(os.size() - 1) + (int) gap + 1);
                    } else {
                        os.add((int) gap, 1);
                    }
                }
                if (w + 1 > out.length) out = grow(h, w, w + 1);
                out[w++] = c;
                last = idx;
            }
        }
        // swap the live side with the scratch buffers
        spans.swap(os);
        h.scratchBuckets = in;
        if (positive) h.positiveBuckets = out; else h.negativeBuckets = out;
        return w;
    }

    private static double[] grow(FloatHistogram h, int used, int need) {
        double[] bigger = new double[Math.max(need, h.scratchBuckets.length * 2)];
        System.arraycopy(h.scratchBuckets, 0, bigger, 0, used);
        h.scratchBuckets = bigger;
        return bigger;
    }

    /** Compacts one side of an integer histogram (delta-encoded); returns the new bucket count. */
    static int compactDeltas(Histogram h, Spans spans, boolean positive, int n, int maxEmpty) {
        long[] in = positive ? h.positiveBuckets : h.negativeBuckets;
        Spans os = h.scratchSpans;
        os.clear();
        long[] out = h.scratch(n);
        int w = 0, read = 0;
        long idx = 0, last = 0, abs = 0, prevOut = 0;
        for (int s = 0, ns = spans.size(); s < ns && read < n; s++) {
            int len = spans.length(s);
            idx = s == 0 ? spans.offset(0) : idx + spans.offset(s);
            for (int j = 0; j < len && read < n; j++, idx++) {
                abs += in[read++];
                if (abs == 0) continue;
                if (os.size() == 0) {
                    os.add((int) idx, 1);
                } else {
                    long gap = idx - last - 1;
                    if (gap <= maxEmpty) {
                        out = h.scratchGrow(w, (int) (w + gap + 1));
                        if (gap > 0) { out[w++] = -prevOut; prevOut = 0; for (long g = 1; g < gap; g++) out[w++] = 0; }
                        os.setLength(os.size() - 1, os.length(os.size() - 1) + (int) gap + 1);
                    } else {
                        os.add((int) gap, 1);
                    }
                }
                out = h.scratchGrow(w, w + 1);
                out[w++] = abs - prevOut;
                prevOut = abs;
                last = idx;
            }
        }
        spans.swap(os);
        h.scratchBuckets = in;
        if (positive) h.positiveBuckets = out; else h.negativeBuckets = out;
        return w;
    }
}
