package io.tsdb.bench.harness;

import java.util.List;

/**
 * TSBS cpu-only queries translated to PromQL and run as range queries over the ingested data. Where a
 * TSBS query aggregates several metrics per group, the PromQL translation keeps to forms whose result has
 * the same meaning in Prometheus 2.42, VictoriaMetrics and this server (functions such as max_over_time
 * drop the metric name, so several metrics would collide in one label set); each translation is stated.
 */
final class TsbsQueries {
    record Query(String name, String promql, long rangeMs, long stepMs, String note) {}

    private TsbsQueries() {}

    static List<Query> all() {
        String eight = "host_(0|1|2|3|4|5|6|7)";
        long h = 3_600_000L;
        return List.of(
                new Query("single-groupby-1-1-1", "max(max_over_time(cpu_usage_user{hostname=\"host_7\"}[1m]))",
                        h, 60_000, "max of 1 metric, 1 host, per minute, 1 h"),
                new Query("single-groupby-5-1-12",
                        "{__name__=~\"cpu_usage_(user|system|idle|nice|iowait)\",hostname=\"host_7\"}",
                        12 * h, 60_000, "5 metrics, 1 host, per minute, 12 h (raw values at each step)"),
                new Query("single-groupby-1-8-1",
                        "max(max_over_time(cpu_usage_user{hostname=~\"" + eight + "\"}[1m]))",
                        h, 60_000, "max of 1 metric over 8 hosts, per minute, 1 h"),
                new Query("cpu-max-all-8",
                        "max by (hostname) (max_over_time(cpu_usage_user{hostname=~\"" + eight + "\"}[1h]))",
                        8 * h, h, "max per host and hour, 8 hosts, 8 h (usage_user)"),
                new Query("double-groupby-1", "avg by (hostname) (avg_over_time(cpu_usage_user[1h]))",
                        12 * h, h, "mean per host and hour, all hosts, 12 h"),
                new Query("high-cpu-all", "cpu_usage_user > 90", 12 * h, 300_000,
                        "readings above 90, all hosts, 12 h at 5 m"),
                new Query("lastpoint", "{__name__=~\"cpu_.*\"}", 0, 60_000, "last reading of every series"),
                new Query("sum-rate-by-region", "sum by (region) (rate(cpu_usage_user[5m]))", 12 * h, 60_000,
                        "per-region rate over all hosts, 12 h at 1 m"));
    }
}
