package io.tsdb.core.histogram;

/**
 * Iterates the buckets of one side (positive or negative) of a histogram in ascending index order, with absolute
 * counts, optionally merged down to a lower exponential schema and optionally skipping the buckets that lie inside
 * a zero bucket. Reusable: {@code reset} it for every histogram; nothing is allocated.
 *
 * <pre>
 *   it.reset(h, true);
 *   while (it.next()) use(it.index, it.count, it.lower(), it.upper());
 * </pre>
 *
 * Invalid layouts (spans needing more buckets than present) end the iteration early instead of failing.
 */
public final class BucketIterator {
    private Spans spans;
    private double[] floats;
    private long[] deltas;
    private int n;
    private int schema, target;
    private double[] custom;
    private boolean positive;
    private double startAbove;

    private int spanIdx, inSpan, read;
    private long originIdx;
    private long abs;
    private boolean pending;
    private long pendIdx;
    private double pendCount;

    /** Index of the current bucket (in the target schema). */
    public int index;
    /** Absolute count of the current bucket. */
    public double count;

    public BucketIterator reset(FloatHistogram h, boolean positive) {
        return reset(h, positive, h.schema, 0);
    }

    /**
     * Iterates h's buckets merged to schema {@code target} (<= h.schema; == for custom buckets), skipping buckets
     * whose absolute upper bound is <= {@code startAbove} (exponential schemas only; 0 skips nothing).
     */
    public BucketIterator reset(FloatHistogram h, boolean positive, int target, double startAbove) {
        init(positive ? h.positiveSpans : h.negativeSpans, h.schema, target, h.customValues, positive, startAbove);
        floats = positive ? h.positiveBuckets : h.negativeBuckets;
        deltas = null;
        n = positive ? h.positiveCount : h.negativeCount;
        return this;
    }

    public BucketIterator reset(Histogram h, boolean positive) {
        return reset(h, positive, h.schema, 0);
    }

    public BucketIterator reset(Histogram h, boolean positive, int target, double startAbove) {
        init(positive ? h.positiveSpans : h.negativeSpans, h.schema, target, h.customValues, positive, startAbove);
        deltas = positive ? h.positiveBuckets : h.negativeBuckets;
        floats = null;
        n = positive ? h.positiveCount : h.negativeCount;
        return this;
    }

    private void init(Spans spans, int schema, int target, double[] custom, boolean positive, double startAbove) {
        if (Schemas.isCustom(schema) != Schemas.isCustom(target) || (!Schemas.isCustom(schema) && target > schema)) {
            throw new IllegalArgumentException("cannot iterate schema " + schema + " buckets as schema " + target);
        }
        this.spans = spans;
        this.schema = schema;
        this.target = target;
        this.custom = custom;
        this.positive = positive;
        this.startAbove = Schemas.isCustom(schema) ? 0 : startAbove;
        spanIdx = 0;
        inSpan = 0;
        read = 0;
        originIdx = spans.size() > 0 ? spans.offset(0) : 0;
        abs = 0;
        pending = false;
    }

    /** Reads the next bucket of the origin schema into pendIdx/pendCount. */
    private boolean advance() {
        if (read >= n) return false;
        while (spanIdx < spans.size() && inSpan >= spans.length(spanIdx)) {
            spanIdx++;
            inSpan = 0;
            if (spanIdx < spans.size()) originIdx += spans.offset(spanIdx);
        }
        if (spanIdx >= spans.size()) return false;
        pendIdx = originIdx;
        if (floats != null) pendCount = floats[read];
        else { abs += deltas[read]; pendCount = abs; }
        read++;
        inSpan++;
        originIdx++;
        return true;
    }

    private long targetOf(long idx) {
        return target == schema ? idx : ((idx - 1) >> (schema - target)) + 1;
    }

    public boolean next() {
        while (true) {
            if (!pending && !advance()) return false;
            pending = false;
            long t = targetOf(pendIdx);
            double c = pendCount;
            while (advance()) {
                if (targetOf(pendIdx) == t) c += pendCount;
                else { pending = true; break; }
            }
            index = (int) t;
            count = c;
            if (startAbove == 0 || Schemas.upperBound(index, target, custom) > startAbove) return true;
        }
    }

    /** Lower bound of the current bucket. */
    public double lower() {
        return positive ? Schemas.upperBound(index - 1, target, custom) : -Schemas.upperBound(index, target, custom);
    }

    /** Upper bound of the current bucket. */
    public double upper() {
        return positive ? Schemas.upperBound(index, target, custom) : -Schemas.upperBound(index - 1, target, custom);
    }

    /** Prometheus's inclusiveness: custom buckets (lower, upper] with bucket 0 closed at -Inf; exponential toward zero open. */
    public boolean lowerInclusive() { return Schemas.isCustom(target) ? index == 0 : lower() < 0; }

    public boolean upperInclusive() { return Schemas.isCustom(target) || upper() > 0; }
}
