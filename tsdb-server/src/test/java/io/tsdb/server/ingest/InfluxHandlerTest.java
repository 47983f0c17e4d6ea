package io.tsdb.server.ingest;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.tsdb.server.ingest.TestEnv.utf8;
import static org.junit.jupiter.api.Assertions.*;

class InfluxHandlerTest {
    @Test void v1LinesTypesTagsEscapesAndDb() {
        TestEnv env = new TestEnv();
        String body = """
                # a comment
                cpu,host=a,region=us-west usage_user=1.5,usage_idle=98i,up=true,cnt=7u 1700000000000
                cpu,host=b usage_user=-2e-1,off=F 1700000001000

                disk\\ io,path=/var\\,log,k\\=x=v\\ w reads=3i 1700000002000
                mem free=12
                """;
        var r = env.post("/write?db=telegraf&precision=ms", Map.of(), utf8(body));
        assertEquals(204, r.status(), r.body());
        long now = TestEnv.NOW;
        assertEquals(List.of(
                "cpu_cnt{db=\"telegraf\", host=\"a\", region=\"us-west\"} 1700000000000=7",
                "cpu_off{db=\"telegraf\", host=\"b\"} 1700000001000=0",
                "cpu_up{db=\"telegraf\", host=\"a\", region=\"us-west\"} 1700000000000=1",
                "cpu_usage_idle{db=\"telegraf\", host=\"a\", region=\"us-west\"} 1700000000000=98",
                "cpu_usage_user{db=\"telegraf\", host=\"a\", region=\"us-west\"} 1700000000000=1.5",
                "cpu_usage_user{db=\"telegraf\", host=\"b\"} 1700000001000=-0.2",
                "disk_io_reads{db=\"telegraf\", k_x=\"v w\", path=\"/var,log\"} 1700000002000=3",
                "mem_free{db=\"telegraf\"} " + now + "=12"), env.dump());
        assertArrayEquals(new long[]{1700000000000L, 1700000002000L}, env.commits.get(0));
    }

    @Test void precisionsAndV2Bucket() {
        TestEnv env = new TestEnv();
        assertEquals(204, env.post("/api/v2/write?bucket=b1&org=o&precision=s", Map.of(), utf8("m v=1 1700000000\n")).status());
        assertEquals(204, env.post("/api/v2/write?bucket=b1&org=o", Map.of(), utf8("m v=2 1700000001999999999\n")).status());
        assertEquals(204, env.post("/write?precision=u", Map.of(), utf8("m,db=own v=3 1700000002000000\n")).status());
        assertEquals(List.of("m_v{db=\"b1\"} 1700000000000=1", "m_v{db=\"b1\"} 1700000001999=2", "m_v{db=\"own\"} 1700000002000=3"), env.dump());
        var r = env.post("/api/v2/write?bucket=b&precision=h", Map.of(), utf8("m v=1\n"));
        assertEquals(400, r.status());
        assertTrue(r.body().contains("invalid precision \"h\"; use ns, us, ms or s"), r.body());
    }

    @Test void stringFieldsAndBadLinesRejectedWithLineNumbers() {
        TestEnv env = new TestEnv();
        String body = String.join("\n",
                "ok v=1 1000000000",
                "svc,host=a status=\"up, fine\",code=200i 1000000000",
                "nofields",
                "m,tag v=1",
                "m v=1 12abc",
                "m v=1.2.3",
                "m v=\"unterminated",
                "m,a=1 ,v=1",
                "m v=99999999999999999999i",
                "ok v=2 2000000000");
        var r = env.post("/api/v2/write?bucket=x", Map.of(), utf8(body));
        assertEquals(400, r.status());
        assertEquals(List.of("ok_v{db=\"x\"} 1000=1", "ok_v{db=\"x\"} 2000=2", "svc_code{db=\"x\", host=\"a\"} 1000=200"), env.dump());
        String b = r.body();
        assertTrue(b.startsWith("{\"code\":\"invalid\",\"message\":\"partial write: accepted 3 of 11 samples; rejected 8 ("), b);
        assertTrue(b.contains("string_field: 1"), b);
        assertTrue(b.contains("invalid_line: 5"), b);
        assertTrue(b.contains("invalid_field_value: 2"), b);
        assertTrue(b.contains("line 2: field \\\"status\\\" is a string"), b);
        assertTrue(b.contains("line 3: missing fields (expected a space and field=value after the measurement) at column 9"), b);
        assertTrue(b.contains("line 4: tag key without '=value' at column 6"), b);
        assertTrue(b.contains("line 5: invalid timestamp \\\"12abc\\\" at column 7"), b);
        assertTrue(b.contains("line 6: invalid value \\\"1.2.3\\\" for field \\\"v\\\""), b);
        assertTrue(b.contains("line 7: unterminated string field value"), b);
        assertTrue(b.contains("line 9: invalid value \\\"99999999999999999999i\\\""), b);
        assertTrue(env.scrape().contains("tsdb_ingest_samples_rejected_total{protocol=\"influx\",reason=\"string_field\"} 1.0"));
        var v1 = env.post("/write", Map.of(), utf8("bad line"));
        assertTrue(v1.body().startsWith("{\"error\":\"partial write: accepted 0 of 1 samples"), v1.body());
    }

    @Test void gzipBody() {
        TestEnv env = new TestEnv();
        var r = env.post("/write?db=d", Map.of("Content-Encoding", "gzip"), RemoteWriteHandlerTest.gzip(utf8("g v=5 1000000\n")));
        assertEquals(204, r.status(), r.body());
        assertEquals(List.of("g_v{db=\"d\"} 1=5"), env.dump());
    }

    @Test void namesSanitizedAndLimits() {
        TestEnv env = new TestEnv(c -> c.maxLabelsPerSeries = 3);
        var r = env.post("/write", Map.of(), utf8("http.req-total,1st=a,b.c=d v=1 0\nm,a=1,b=2,c=3 v=1 0\n"));
        assertEquals(400, r.status());
        assertEquals(List.of("http_req_total_v{_1st=\"a\", b_c=\"d\"} 0=1"), env.dump());
        assertTrue(r.body().contains("4 labels exceed the limit of 3 per series (--storage.max-labels-per-series) for metric \\\"m_v\\\""), r.body());
    }
}
