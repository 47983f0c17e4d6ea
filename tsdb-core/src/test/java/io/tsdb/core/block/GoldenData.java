package io.tsdb.core.block;

import io.tsdb.core.Labels;
import io.tsdb.core.SeriesSet;
import io.tsdb.core.StaleNaN;

import java.util.ArrayList;
import java.util.List;

/**
 * The content of the checked-in golden blocks (src/test/resources/io/tsdb/core/block/golden-v1, golden-v2);
 * version 2 also records the storage-wide series ids {@link #IDS}.
 */
final class GoldenData {
    private GoldenData() {}

    static final List<Labels> LABELS = List.of(
            Labels.of("__name__", "cpu", "host", "a", "zone", "eu"),
            Labels.of("__name__", "cpu", "host", "b"),
            Labels.of("__name__", "up", "job", "ünïcode \"quoted\""));

    static final int[] IDS = {3, 5, 1_000_000};

    static long[] ts(int s) {
        int n = s == 0 ? 300 : s == 1 ? 7 : 40;
        long[] t = new long[n];
        for (int i = 0; i < n; i++) t[i] = 1_700_000_000_000L + i * (s == 2 ? 15_000L + (i % 3) : 10_000L);
        return t;
    }

    static double[] vs(int s) {
        int n = ts(s).length;
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (s) {
                case 0 -> (i * 7919) % 101;
                case 1 -> i == 3 ? StaleNaN.VALUE : i == 4 ? Double.NaN : i == 5 ? -0.0 : i * 0.1;
                default -> i % 10 == 0 ? Double.POSITIVE_INFINITY : 1.0 / (i + 1);
            };
        }
        return v;
    }

    static SeriesSet seriesSet() {
        List<long[]> t = new ArrayList<>();
        List<double[]> v = new ArrayList<>();
        for (int s = 0; s < LABELS.size(); s++) { t.add(ts(s)); v.add(vs(s)); }
        return BlockTestData.seriesSet(LABELS, t, v, IDS);
    }
}
