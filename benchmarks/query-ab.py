#!/usr/bin/env python3
# Warm query latency of the 8 TSBS queries against one running server, with the harness's URLs (TsbsQueries,
# Harness.url: the same ranges, steps and nocache=1), over one kept-alive connection: per query, unmeasured runs
# for at least WARM seconds (and 3 times), then the median of RUNS. For A/B comparisons of builds, or against
# VictoriaMetrics, on the data a harness run left behind (start each server on a copy of its data directory and
# alternate the passes):
#   benchmarks/query-ab.py PORT PAYLOAD_FILE [WARM=3] [RUNS=10] [only=name,...]
# PAYLOAD_FILE is the harness's payload cache (benchmarks/target/harness-payloads/h<hosts>-p<points>-...bin): its
# first 8 bytes are the data's start, its name the number of points (10 s apart).
import sys, struct, time, http.client, urllib.parse, statistics
port = int(sys.argv[1]); pf = sys.argv[2]
warm = float(sys.argv[3]) if len(sys.argv) > 3 else 3
runs = int(sys.argv[4]) if len(sys.argv) > 4 else 10
only = sys.argv[5].split(',') if len(sys.argv) > 5 else None
start = struct.unpack('>q', open(pf, 'rb').read(8))[0]
import os; points = int(os.path.basename(pf).split('-p')[1].split('-')[0])
endms = start + (points - 1) * 10000
from tsbs_queries import QUERIES as Q, H as h
end = endms // 60000 * 60000
c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
res = {}
for name, q, rng, step in Q:
    if only and name not in only: continue
    s = max(end - rng, (start // 60000 + 1) * 60000)
    if rng == 0: s = end
    url = '/api/v1/query_range?' + urllib.parse.urlencode({'query': q, 'start': s/1000, 'end': end/1000, 'step': step/1000, 'nocache': 1})
    def get():
        c.request('GET', url); r = c.getresponse(); b = r.read()
        if r.status != 200: raise Exception(b[:300])
        return b
    t_end = time.time() + warm; i = 0
    while i < 3 or time.time() < t_end:
        b = get(); i += 1
    ms = []
    for _ in range(runs):
        t0 = time.perf_counter(); b = get(); ms.append((time.perf_counter() - t0) * 1000)
    res[name] = statistics.median(ms)
    print(f'{name:24s} {res[name]:9.2f} ms  ({len(b)} bytes, warm {i})', flush=True)
import math
if len(res) == 8: print('geomean', math.exp(sum(math.log(x) for x in res.values()) / 8))
