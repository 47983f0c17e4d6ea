# The harness's 8 TSBS queries (io.tsdb.bench.harness.TsbsQueries is the source of truth; keep the two alike), for the
# Python A/B scripts beside this file: (name, PromQL, range in ms before the data's end (0: an instant at the end),
# step in ms).
H = 3600000
EIGHT = 'host_(0|1|2|3|4|5|6|7)'
QUERIES = [("single-groupby-1-1-1", 'max(max_over_time(cpu_usage_user{hostname="host_7"}[1m]))', H, 60000),
           ("single-groupby-5-1-12", '{__name__=~"cpu_usage_(user|system|idle|nice|iowait)",hostname="host_7"}', 12 * H, 60000),
           ("single-groupby-1-8-1", 'max(max_over_time(cpu_usage_user{hostname=~"' + EIGHT + '"}[1m]))', H, 60000),
           ("cpu-max-all-8", 'max by (hostname) (max_over_time(cpu_usage_user{hostname=~"' + EIGHT + '"}[1h]))', 8 * H, H),
           ("double-groupby-1", 'avg by (hostname) (avg_over_time(cpu_usage_user[1h]))', 12 * H, H),
           ("high-cpu-all", 'cpu_usage_user > 90', 12 * H, 300000),
           ("lastpoint", '{__name__=~"cpu_.*"}', 0, 60000),
           ("sum-rate-by-region", 'sum by (region) (rate(cpu_usage_user[5m]))', 12 * H, 60000)]
