#!/usr/bin/env python3
# Alternates builds or JVM options start by start with benchmarks/cold-window.py (SCHED=1) and prints per variant the
# medians over its starts: JVM uptime at ready, CPU until ready and in the window, per query median / first run, and
# the small queries' server CPU per request (qcpu).
#   benchmarks/cold-ab.py STARTS OUTFILE DATA_DIR PAYLOAD_FILE label=LAUNCHER_DIR[|TSDB_JAVA_OPTS[|ENV:VALUE,...]] ...
# e.g. ROUNDS=42 benchmarks/cold-ab.py 3 /tmp/cold.jsonl benchmarks/target/harness/tsdb/data \
#        benchmarks/target/harness-payloads/h1000-p4320-s4-b30.bin base=/tmp/base new=tsdb-server/target
import sys, os, subprocess, json, statistics
rounds = int(sys.argv[1]); out = sys.argv[2]; DATA = sys.argv[3]; PF = sys.argv[4]
HERE = os.path.dirname(os.path.abspath(__file__))
vs = []
for a in sys.argv[5:]:
    lab, rest = a.split('=', 1); d, o = (rest.split('|', 1) + [''])[:2]; e = {}
    if '|' in o: o, ee = o.split('|', 1); e = dict(x.split(':', 1) for x in ee.split(',') if x)
    vs.append((lab, d, o, e))
res = {v[0]: [] for v in vs}
for r in range(rounds):
    for lab, d, o, e in (vs if r % 2 == 0 else vs[::-1]):
        p = subprocess.run(['python3', os.path.join(HERE, 'cold-window.py'), d, DATA, PF, o], capture_output=True, text=True, env=dict(os.environ, SCHED='1', **e))
        line = [l for l in p.stdout.splitlines() if l.startswith('{')]
        if not line: print(lab, 'FAILED', p.stdout[-500:], p.stderr[-500:]); continue
        j = json.loads(line[0]); j['label'] = lab; res[lab].append(j)
        open(out, 'a').write(json.dumps(j) + '\n')
        print(lab, 'r%d' % r, 'load %.1f' % j['load'], 'uptime', j['jvm_uptime_ms'], 'cpu_ready', j['cpu_ready_ms'], 'cpu_win', j['cpu_window_ms'],
              ' '.join('%s=%.2f' % (k[:12], v[1]) for k, v in j['q'].items()), 'qcpu', j.get('qcpu'), flush=True)
print('--- medians over rounds (per query median-of-window; uptime; cpu until ready; cpu in window)')
for lab, *_ in vs:
    js = res[lab]
    if not js: continue
    qs = js[0]['q'].keys()
    print(lab, 'n=%d' % len(js), 'uptime %d' % statistics.median(j['jvm_uptime_ms'] for j in js),
          'cpu_ready %d' % statistics.median(j['cpu_ready_ms'] for j in js), 'cpu_win %d' % statistics.median(j['cpu_window_ms'] for j in js), 'rss_end %d' % statistics.median(j.get('rss_end_mb', 0) for j in js),
          ' '.join('%s=%.2f/%.1f' % (q[:14], statistics.median(j['q'][q][1] for j in js), statistics.median(j['q'][q][0] for j in js)) for q in qs), 'qcpu', {q: statistics.median(j['qcpu'][q] for j in js) for q in js[0].get('qcpu', {})})
