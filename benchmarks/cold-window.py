#!/usr/bin/env python3
# Query latency right after a restart, as the harness's "first 10 s after restart" rows measure it, on a copy of a data
# directory the harness left (benchmarks/target/harness/tsdb/data after a run): starts LAUNCHER_DIR/tsdb on a fresh
# copy of DATA_DIR, waits for /-/ready (5 ms polls), runs the 8 TSBS queries in turn (the harness's URLs, nocache=1)
# for WINDOW seconds, or for ROUNDS rounds when ROUNDS is set (on a loaded machine a 10 s window holds a few rounds
# where an idle one holds about 40), then stops the server. Prints one JSON line: JVM uptime at ready, process CPU
# until ready and in the window (/proc), RSS at ready and at the end, per query [first ms, median ms, runs, first 8 runs], CPU per thread group in
# the window. SCHED=1: also the server's CPU per small request by thread (/proc/PID/task/*/schedstat run time,
# read before and after each of the three small queries; 'qcpu' is the median of HTTP worker + event loop CPU).
# PREWARM=N: a second connection sends N requests of PWPATH at once after ready, beside the measured queries.
#   benchmarks/cold-window.py LAUNCHER_DIR DATA_DIR PAYLOAD_FILE [TSDB_JAVA_OPTS] [WINDOW=10]
# PAYLOAD_FILE: the harness's payload cache (benchmarks/target/harness-payloads/h1000-p4320-s4-b30.bin). Another
# build: a copy of tsdb-server/target with its archive regenerated for the copy
# (java -cp DIR/tsdb-server.jar io.tsdb.server.launcher.CdsTraining DIR tsdb-server/src/main/dist/tsdb).
import sys, os, struct, time, http.client, urllib.parse, statistics, subprocess, shutil, json, re, socket
ldir, src, pf = sys.argv[1], sys.argv[2], sys.argv[3]
jopts = sys.argv[4] if len(sys.argv) > 4 else ''
window = float(sys.argv[5]) if len(sys.argv) > 5 else 10
start = struct.unpack('>q', open(pf, 'rb').read(8))[0]
points = int(os.path.basename(pf).split('-p')[1].split('-')[0])
endms = start + (points - 1) * 10000
from tsbs_queries import QUERIES as Q, H as h
end = endms // 60000 * 60000
urls = []
for name, q, rng, step in Q:
    s = max(end - rng, (start // 60000 + 1) * 60000)
    if rng == 0: s = end
    urls.append((name, '/api/v1/query_range?' + urllib.parse.urlencode({'query': q, 'start': '%.3f' % (s/1000), 'end': '%.3f' % (end/1000), 'step': '%.3f' % (step/1000), 'nocache': 1})))
import tempfile
work = tempfile.mkdtemp(prefix='tsdb-cold-')
shutil.rmtree(work, ignore_errors=True); os.makedirs(work)
subprocess.run(['cp', '-a', src, work + '/data'], check=True)
with socket.socket() as s0:
    s0.bind(('127.0.0.1', 0)); port = s0.getsockname()[1]
env = dict(os.environ); env['TSDB_JAVA_OPTS'] = jopts
log = open(work + '/server.log', 'w')
t_spawn = time.time()
p = subprocess.Popen([ldir + '/tsdb', '--listen=127.0.0.1:%d' % port, '--data=' + work + '/data'], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=work)
HZ = os.sysconf('SC_CLK_TCK')
def cpu(pid):
    f = open('/proc/%d/stat' % pid).read().rsplit(')', 1)[1].split()
    return (int(f[11]) + int(f[12])) * 1000 // HZ
def threads(pid):
    out = {}
    for t in os.listdir('/proc/%d/task' % pid):
        try:
            st = open('/proc/%d/task/%s/stat' % (pid, t)).read()
            name = st[st.index('(')+1:st.rindex(')')]
            f = st.rsplit(')', 1)[1].split()
            key = re.sub(r'[0-9#]+$', '', name).strip()
            out[key] = out.get(key, 0) + (int(f[11]) + int(f[12])) * 1000 // HZ
        except Exception: pass
    return out
while True:
    try:
        c = http.client.HTTPConnection('127.0.0.1', port, timeout=5); c.request('GET', '/-/ready'); r = c.getresponse(); r.read()
        if r.status == 200: break
    except Exception: pass
    if p.poll() is not None: sys.exit('server exited')
    time.sleep(0.005)
t_ready = time.time()
cpu_ready = cpu(p.pid); th0 = threads(p.pid)
rss_ready = int([l for l in open('/proc/%d/status' % p.pid) if l.startswith('VmRSS:')][0].split()[1]) // 1024
PREWARM = int(os.environ.get('PREWARM', '0'))
PWPATH = os.environ.get('PWPATH', '/api/v1/query?query=1&time=1')
def prewarm():
    cc = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    for i in range(PREWARM):
        cc.request('GET', PWPATH); rr = cc.getresponse(); rr.read()
if PREWARM:
    import threading; threading.Thread(target=prewarm, daemon=True).start()
c = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
ms = {n: [] for n, _ in urls}
per = {n: [] for n, _ in urls}
SCHED = os.environ.get('SCHED') == '1'
SMALL = ('single-groupby-1-1-1', 'single-groupby-1-8-1', 'cpu-max-all-8')
def sched(pid):
    out = {}
    for t in os.listdir('/proc/%d/task' % pid):
        try:
            nm = open('/proc/%d/task/%s/comm' % (pid, t)).read().strip()
            a = open('/proc/%d/task/%s/schedstat' % (pid, t)).read().split()
            out[t] = (nm, int(a[0]), int(a[1]))
        except Exception: pass
    return out

NR = int(os.environ.get('ROUNDS', '0'))
until = time.perf_counter() + (1e9 if NR else window)
rnd = 0
while time.perf_counter() < until and (not NR or rnd < NR):
    rnd += 1
    for n, u in urls:
        if time.perf_counter() >= until and ms[n]: break
        snap = SCHED and n in SMALL
        if snap: s0 = sched(p.pid)
        t0 = time.perf_counter(); c.request('GET', u); r = c.getresponse(); b = r.read()
        if r.status != 200: print(n, r.status, b[:200])
        ms[n].append((time.perf_counter() - t0) * 1000)
        if snap:
            s1 = sched(p.pid); d = {}
            for tid, (nm, ru, wa) in s1.items():
                r0 = s0.get(tid, (nm, 0, 0)); k = re.sub(r'[0-9#-]+$', '', nm).strip()
                a = d.setdefault(k, [0, 0]); a[0] += (ru - r0[1]) / 1e6; a[1] += (wa - r0[2]) / 1e6
            per[n].append((ms[n][-1], {k: (round(v[0], 2), round(v[1], 2)) for k, v in d.items() if v[0] > 0.05 or v[1] > 0.05}))
cpu_end = cpu(p.pid); th1 = threads(p.pid)
def rss(pid):
    for l in open('/proc/%d/status' % pid):
        if l.startswith('VmRSS:'): return int(l.split()[1]) // 1024
rss_end = rss(p.pid)
p.terminate(); p.wait(120); log.close()
up = re.search(r'"jvm_uptime_ms":(\d+)', open(work + '/server.log').read())
res = {'spawn_to_ready_ms': round((t_ready - t_spawn) * 1000), 'jvm_uptime_ms': int(up.group(1)) if up else -1,
       'cpu_ready_ms': cpu_ready, 'cpu_window_ms': cpu_end - cpu_ready, 'rss_ready_mb': rss_ready, 'rss_end_mb': rss_end, 'load': os.getloadavg()[0], 'q': {}}
for n, a in ms.items():
    res['q'][n] = [round(a[0], 2), round(statistics.median(a), 2), len(a), [round(x, 2) for x in a[:8]]]
th = {k: th1.get(k, 0) - th0.get(k, 0) for k in th1 if th1.get(k, 0) - th0.get(k, 0) > 0}
res['threads_window'] = dict(sorted(th.items(), key=lambda x: -x[1]))
if SCHED:
    res['qcpu'] = {}
    for n in SMALL:
        cp = [d.get('tsdb-http-worke', (0, 0))[0] + d.get('tsdb-http-io', (0, 0))[0] for w, d in per[n]]
        res['qcpu'][n] = round(statistics.median(cp), 3)
print(json.dumps(res))
if SCHED:
    for n in SMALL:
        for i, (w, d) in enumerate(per[n]): print(n, i, round(w, 2), d)
shutil.rmtree(work, ignore_errors=True)
