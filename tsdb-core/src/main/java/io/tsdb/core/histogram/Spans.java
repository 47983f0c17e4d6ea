package io.tsdb.core.histogram;

import java.util.Arrays;

/**
 * A reusable list of bucket spans in primitive arrays. Span i covers {@code length(i)} consecutive bucket
 * indexes starting {@code offset(i)} after the end of span i-1 (for span 0: at bucket index offset(0), which may be
 * negative). Offsets of later spans are gaps and must be >= 0 in a valid histogram; spans of length 0 are legal
 * (they only shift the following span). Grows as needed and never shrinks, so reuse allocates nothing.
 */
public final class Spans {
    private int[] offsets;
    private int[] lengths;
    private int size;

    public Spans() { this(4); }

    public Spans(int capacity) {
        offsets = new int[Math.max(1, capacity)];
        lengths = new int[Math.max(1, capacity)];
    }

    public int size() { return size; }

    public int offset(int i) { return offsets[i]; }

    /** Length of span i as an unsigned 32-bit value held in an int (valid histograms stay far below 2^31). */
    public int length(int i) { return lengths[i]; }

    public void clear() { size = 0; }

    public Spans add(int offset, int length) {
        if (size == offsets.length) {
            offsets = Arrays.copyOf(offsets, size * 2);
            lengths = Arrays.copyOf(lengths, size * 2);
        }
        offsets[size] = offset;
        lengths[size] = length;
        size++;
        return this;
    }

    void setLength(int i, int length) { lengths[i] = length; }

    /** Lengthens the last span by {@code by} buckets (adds a span at index 0 if there is none). */
    public Spans extendLast(int by) {
        if (size == 0) return add(0, by);
        lengths[size - 1] += by;
        return this;
    }

    void setOffset(int i, int offset) { offsets[i] = offset; }

    void truncate(int n) { size = n; }

    /** Sum of the lengths (the number of buckets the spans describe); long so that hostile input cannot overflow. */
    public long bucketCount() {
        long n = 0;
        for (int i = 0; i < size; i++) n += lengths[i] & 0xffffffffL;
        return n;
    }

    public void copyFrom(Spans o) {
        if (offsets.length < o.size) {
            offsets = new int[o.offsets.length];
            lengths = new int[o.offsets.length];
        }
        System.arraycopy(o.offsets, 0, offsets, 0, o.size);
        System.arraycopy(o.lengths, 0, lengths, 0, o.size);
        size = o.size;
    }

    /** Swaps contents with o (no copying; used to double-buffer). */
    void swap(Spans o) {
        int[] a = offsets; offsets = o.offsets; o.offsets = a;
        int[] b = lengths; lengths = o.lengths; o.lengths = b;
        int s = size; size = o.size; o.size = s;
    }

    /** True when both describe the same sequence of bucket indexes (however the spans split it). */
    public boolean sameLayout(Spans o) {
        if (bucketCount() != o.bucketCount()) return false;
        int i = -1, j = -1;
        long remA = 0, remB = 0, idxA = 0, idxB = 0;
        boolean firstA = true, firstB = true;
        while (true) {
            while (remA == 0) {
                if (++i >= size) return true; // equal bucket counts: both end together
                idxA = firstA ? offsets[i] : idxA + offsets[i];
                firstA = false;
                remA = lengths[i] & 0xffffffffL;
            }
            while (remB == 0) {
                if (++j >= o.size) return false;
                idxB = firstB ? o.offsets[j] : idxB + o.offsets[j];
                firstB = false;
                remB = o.lengths[j] & 0xffffffffL;
            }
            if (idxA != idxB) return false;
            long run = Math.min(remA, remB);
            idxA += run; idxB += run; remA -= run; remB -= run;
        }
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            if (i > 0) sb.append(", ");
            sb.append(offsets[i]).append(':').append(lengths[i] & 0xffffffffL);
        }
        return sb.append(']').toString();
    }
}
