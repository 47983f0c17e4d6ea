package io.tsdb.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import static io.tsdb.server.ServerProcessTest.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 of the real server (a child JVM) while its rule group evaluates: a group of recording rules and two
 * alerts, one pending ({@code for: F}) and one already firing, evaluated every second. The process is killed a few
 * milliseconds after an evaluation started (the group has enough rules to still be running), restarted on the same
 * data directory, and then, as in Prometheus: every evaluation committed before the kill is still there (the
 * recording rules' output went through the WAL), the pending alert's active-since is restored from
 * {@code ALERTS_FOR_STATE} and moved forward by the time the server was down (the outage does not count towards
 * {@code for}), it fires at the first evaluation at or after active-since + {@code for} (not {@code for} after the
 * restart), and the firing alert keeps its active-since (to the second, the resolution of ALERTS_FOR_STATE).
 *
 * <p>Durations are scaled down for the suite: {@code for} is {@code -Drules.crash.for=SECONDS} (default 30: the kill must come before the alert fires, after 3/5 of it, also when a loaded machine makes the test's polling seconds late) and the
 * group interval {@code -Drules.crash.interval=SECONDS} (default 1); the acceptance figure is measured once with
 * {@code -Drules.crash.for=300 -Drules.crash.interval=15}.
 */
@Timeout(value = 1200, unit = TimeUnit.SECONDS)
class RulesCrashTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int RECORDING_RULES = 150;

    @TempDir Path tmp;

    static String rules(long forS, long intervalS) {
        StringBuilder sb = new StringBuilder("groups:\n  - name: crash\n    interval: " + intervalS + "s\n    rules:\n");
        for (int i = 0; i < RECORDING_RULES; i++) {
            sb.append("      - record: probe:value:sum").append(i).append('\n')
                    .append("        expr: sum by (job) (probe_value * ").append(i + 1).append(") + sum by (job) (probe_value)\n");
        }
        sb.append("""
                      - alert: ProbeSlow
                        expr: probe_value > 0
                        for: %ds
                        labels: {severity: page}
                      - alert: ProbeDown
                        expr: probe_value > 0
                        for: %ds
                """.formatted(forS, 2 * intervalS));
        return sb.toString();
    }

    static JsonNode api(String url) throws Exception {
        HttpResponse<String> r = TestHttp.get(url);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The alert of the given name in /api/v1/alerts, or null. */
    static JsonNode alert(String base, String name) throws Exception {
        for (JsonNode a : api(base + "/api/v1/alerts").at("/data/alerts")) {
            if (a.at("/labels/alertname").asText().equals(name)) return a;
        }
        return null;
    }

    static JsonNode awaitAlert(String base, String name, Predicate<JsonNode> p, long maxSeconds, Proc proc) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        while (true) {
            if (!proc.p.isAlive()) fail("server exited: " + proc.stdout());
            JsonNode a = alert(base, name);
            if (a != null && p.test(a)) return a;
            assertTrue(System.nanoTime() < deadline, "alert " + name + " not as expected within " + maxSeconds + " s: " + a);
            Thread.sleep(100);
        }
    }

    /** Raw samples (ms -> value) of the series matching the selector in [end - rangeS, end]. */
    static TreeMap<Long, Double> samples(String base, String selector, long endMs, long rangeS) throws Exception {
        String q = URLEncoder.encode(selector + "[" + rangeS + "s]", StandardCharsets.UTF_8);
        JsonNode r = api(base + "/api/v1/query?query=" + q + "&time=" + String.format(java.util.Locale.ROOT, "%.3f", endMs / 1000.0));
        TreeMap<Long, Double> out = new TreeMap<>();
        JsonNode result = r.at("/data/result");
        assertTrue(result.size() <= 1, "one series expected for " + selector + ": " + result);
        if (result.isEmpty()) return out;
        for (JsonNode v : result.get(0).get("values")) out.put(Math.round(v.get(0).asDouble() * 1000), Double.parseDouble(v.get(1).asText()));
        return out;
    }

    static long millis(JsonNode alert) {
        return Instant.parse(alert.get("activeAt").asText()).toEpochMilli();
    }

    @Test
    void forStateAndRecordedSeriesSurviveKillNineDuringEvaluation() throws Exception {
        long forS = Long.getLong("rules.crash.for", 30), intervalS = Long.getLong("rules.crash.interval", 1);
        long forMs = forS * 1000, intervalMs = intervalS * 1000;
        Path data = tmp.resolve("data"), ruleFile = tmp.resolve("rules.yml");
        Files.writeString(ruleFile, rules(forS, intervalS));
        List<String> flags = List.of("--data=" + data, "--rules.file=" + ruleFile, "--rules.alert.for-grace-period=" + intervalS + "s");

        // the probe: one sample per second, across the restart
        AtomicReference<String> target = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        Thread probe = new Thread(() -> {
            while (!stop.get()) {
                String base = target.get();
                try {
                    if (base != null) TestHttp.send("POST", base + "/api/v1/import/prometheus",
                            ("probe_value{job=\"p\"} 1 " + System.currentTimeMillis() + "\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // down (killed or restarting): the next second's sample goes to the restarted server
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "probe");
        probe.setDaemon(true);

        int port = ServerTest.freePort();
        String base = "http://127.0.0.1:" + port;
        Proc first = launch(classpathCommand(), tmp, concat("--listen=127.0.0.1:" + port, flags));
        Proc second = null;
        try {
            awaitReady(base, first);
            target.set(base);
            probe.start();
            // pending, and the short one firing, both with their ALERTS_FOR_STATE written (after the restore cycle)
            JsonNode pending = awaitAlert(base, "ProbeSlow", a -> a.get("state").asText().equals("pending"), 120, first);
            JsonNode firing = awaitAlert(base, "ProbeDown", a -> a.get("state").asText().equals("firing"), 120, first);
            long activeAt = millis(pending), firingActiveAt = millis(firing);
            assertEquals(activeAt, firingActiveAt, "both alerts became active at the same evaluation");
            // wait for a good part of 'for', then kill a few ms after an evaluation started: evaluations are at
            // the group's slots, which the ALERTS_FOR_STATE samples show
            TreeMap<Long, Double> fs = new TreeMap<>();
            long until = activeAt + forMs * 3 / 5;
            while (fs.isEmpty() || fs.lastKey() < until) {
                Thread.sleep(200);
                fs = samples(base, "ALERTS_FOR_STATE{alertname=\"ProbeSlow\"}", System.currentTimeMillis(), forS + 60);
            }
            TreeMap<Long, Double> rec0Seen = samples(base, "probe:value:sum0", System.currentTimeMillis(), forS + 60);
            TreeMap<Long, Double> recLastSeen = samples(base, "probe:value:sum" + (RECORDING_RULES - 1), System.currentTimeMillis(), forS + 60);
            long slot = fs.lastKey() + intervalMs;
            while (slot < System.currentTimeMillis() + 50) slot += intervalMs;
            while (System.currentTimeMillis() < slot + 5) Thread.sleep(1);
            first.p.destroyForcibly(); // SIGKILL
            assertTrue(first.p.waitFor(30, TimeUnit.SECONDS));
            long killedAt = System.currentTimeMillis();
            System.out.printf("killed %d ms after the evaluation slot %d (alert pending for %.1f s of %d s)%n",
                    killedAt - slot, slot, (killedAt - activeAt) / 1000.0, forS);

            port = ServerTest.freePort();
            base = "http://127.0.0.1:" + port;
            second = launch(classpathCommand(), tmp, concat("--listen=127.0.0.1:" + port, flags));
            awaitReady(base, second);
            target.set(base);
            long readyAt = System.currentTimeMillis();

            // every evaluation committed before the kill is there: one sample per slot, up to the last seen
            TreeMap<Long, Double> before = samples(base, "ALERTS_FOR_STATE{alertname=\"ProbeSlow\"}", killedAt, forS + 60);
            assertTrue(before.keySet().containsAll(fs.keySet()), "ALERTS_FOR_STATE samples lost: " + fs.keySet() + " vs " + before.keySet());
            for (double v : before.values()) assertEquals(Math.floorDiv(activeAt, 1000), (long) v);
            long downAt = before.lastKey();
            assertEquals(rec0Seen, samples(base, "probe:value:sum0", rec0Seen.lastKey(), forS + 60), "recorded samples lost");
            assertEquals(recLastSeen, samples(base, "probe:value:sum" + (RECORDING_RULES - 1), recLastSeen.lastKey(), forS + 60),
                    "recorded samples lost");
            int partial = 0;
            for (int i = 0; i < RECORDING_RULES; i++) {
                if (samples(base, "probe:value:sum" + i, killedAt, 5).containsKey(slot)) partial++;
            }
            System.out.printf("the evaluation at the kill had written %d of %d recording rules (committed rule by rule)%n", partial, RECORDING_RULES);

            // restored: active-since moved by the downtime (downAt = last ALERTS_FOR_STATE sample, in whole seconds)
            // (ALERTS_FOR_STATE is written again once the restore has run)
            TreeMap<Long, Double> after = new TreeMap<>();
            while (after.isEmpty()) {
                assertTrue(second.p.isAlive() && System.currentTimeMillis() < readyAt + 120_000 + 3 * intervalMs, "no ALERTS_FOR_STATE after the restart");
                Thread.sleep(200);
                after = new TreeMap<>(samples(base, "ALERTS_FOR_STATE{alertname=\"ProbeSlow\"}", System.currentTimeMillis(), 3 * intervalS + 60)
                        .tailMap(killedAt));
            }
            JsonNode restored = awaitAlert(base, "ProbeSlow", a -> true, 120, second);
            long restoredActiveAt = millis(restored), restoreEval = after.firstKey();
            assertEquals(Math.floorDiv(restoredActiveAt, 1000), after.firstEntry().getValue().longValue());
            // Prometheus: restored = active-since + (now - downAt), both from ALERTS_FOR_STATE in whole seconds, "now" being
            // the restore, which runs once the second evaluation after the start (ts2, seen in the recorded series) is
            // done and before the iteration after it (restoreEval, the first to write ALERTS_FOR_STATE again) starts,
            // which may carry an earlier slot's timestamp when it runs late. A new alert, active since the first
            // evaluation after the restart (ts1), would give a "now" over 'for' * 3/5 after ts1.
            List<Long> evals = new ArrayList<>(samples(base, "probe:value:sum0", restoreEval, 60).tailMap(killedAt).keySet());
            long ts1 = evals.get(0), ts2 = evals.get(1);
            assertNotEquals(ts1, restoredActiveAt, "restored, not new");
            long restoredAt = restoredActiveAt - Math.floorDiv(activeAt, 1000) * 1000 + Math.floorDiv(downAt, 1000) * 1000;
            assertTrue(restoredAt >= ts2 && restoredAt < restoreEval + intervalMs,
                    "active-since " + activeAt + " restored as " + restoredActiveAt + " (down at " + downAt + "): shifted by the "
                            + "downtime up to a restore at " + restoredAt + ", which must follow the second evaluation " + ts2
                            + " and precede the start of the one after it, " + restoreEval);
            JsonNode stillFiring = awaitAlert(base, "ProbeDown", a -> a.get("state").asText().equals("firing"), 120, second);
            assertEquals(Math.floorDiv(firingActiveAt, 1000) * 1000, millis(stillFiring), "the firing alert keeps its active-since");

            // fires on time: at the first evaluation at or after active-since + for
            JsonNode fired = awaitAlert(base, "ProbeSlow", a -> a.get("state").asText().equals("firing"), forS + 120, second);
            assertEquals(restoredActiveAt, millis(fired));
            TreeMap<Long, Double> firingSamples = new TreeMap<>();
            while (firingSamples.isEmpty()) {
                Thread.sleep(100);
                firingSamples = samples(base, "ALERTS{alertname=\"ProbeSlow\",alertstate=\"firing\"}", System.currentTimeMillis(), forS + 120);
            }
            long firedAt = firingSamples.firstKey(), due = restoredActiveAt + forMs;
            // the first evaluation at or after 'due' that ran (the recorded series has a sample for every evaluation of
            // the group; an evaluation that ran a whole interval late is skipped, as Prometheus skips missed iterations)
            Long firstDue = samples(base, "probe:value:sum0", firedAt, forS + 120).ceilingKey(due);
            assertEquals(firstDue, firedAt, "fired at " + firedAt + ", due at " + due + ": not the first evaluation at or after it");
            System.out.printf("for %d s, interval %d s: active since %s, down %.1f s (last state %s, ready %s), restored active-since %s "
                            + "(+%.1f s), due %s, fired %s (%+d ms); firing alert kept %s%n",
                    forS, intervalS, Instant.ofEpochMilli(activeAt), (readyAt - killedAt) / 1000.0, Instant.ofEpochMilli(downAt),
                    Instant.ofEpochMilli(readyAt), Instant.ofEpochMilli(restoredActiveAt), (restoredActiveAt - activeAt) / 1000.0,
                    Instant.ofEpochMilli(due), Instant.ofEpochMilli(firedAt), firedAt - due, Instant.ofEpochMilli(millis(stillFiring)));
        } finally {
            stop.set(true);
            probe.interrupt();
            if (first.p.isAlive()) first.p.destroyForcibly();
            if (second != null && second.p.isAlive()) stopWithSigterm(second);
        }
    }

    static String[] concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all.toArray(String[]::new);
    }
}
