package io.tsdb.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import io.tsdb.query.engine.QueryException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Prometheus's error envelope, error types, HTTP statuses and messages. */
class ApiErrorsTest {
    final ApiFixture f = new ApiFixture();

    void expect(FakeRequest r, int status, String type, String message) throws Exception {
        JsonNode n = f.json(r, status);
        assertEquals("error", n.get("status").asText());
        assertEquals(type, n.get("errorType").asText());
        assertEquals(message, n.get("error").asText());
        assertTrue(!n.has("data"));
    }

    @Test void rangeValidation() throws Exception {
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=10&end=5&step=1"), 400, "bad_data",
                "end timestamp must not be before start time");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=1&end=5&step=0"), 400, "bad_data",
                "zero or negative query resolution step widths are not accepted. Try a positive integer");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=1&end=5&step=-1s"), 400, "bad_data",
                "invalid parameter \"step\": cannot parse \"-1s\" to a valid duration");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=0&end=11001&step=1"), 400, "bad_data",
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)");
        f.json(FakeRequest.get("/api/v1/query_range?query=up&start=0&end=11000&step=1"), 200);
        expect(FakeRequest.get("/api/v1/query_range?query=up&end=5&step=1"), 400, "bad_data",
                "invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=1&end=5"), 400, "bad_data",
                "invalid parameter \"step\": cannot parse \"\" to a valid duration");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=1&end=x&step=1"), 400, "bad_data",
                "invalid parameter \"end\": cannot parse \"x\" to a valid timestamp");
    }

    @Test void instantValidation() throws Exception {
        expect(FakeRequest.get("/api/v1/query?query=up&time=tomorrow"), 400, "bad_data",
                "invalid parameter \"time\": cannot parse \"tomorrow\" to a valid timestamp");
        expect(FakeRequest.get("/api/v1/query?query=up&timeout=soon"), 400, "bad_data",
                "invalid parameter \"timeout\": cannot parse \"soon\" to a valid duration");
        expect(FakeRequest.get("/api/v1/query?query=up&limit=-1"), 400, "bad_data",
                "invalid parameter \"limit\": limit must be non-negative");
        expect(FakeRequest.get("/api/v1/query"), 400, "bad_data", "invalid parameter \"query\": no query given");
        expect(FakeRequest.get("/api/v1/query?query=up%7B"), 400, "bad_data",
                "invalid parameter \"query\": 1:4: unexpected end of input in label matching, expected label name or \"}\"");
    }

    @Test void engineErrorsMapToPrometheusTypes() throws Exception {
        f.engine.failWith = new QueryException(QueryException.Kind.TIMEOUT, "query timed out in expression evaluation");
        expect(FakeRequest.get("/api/v1/query?query=up"), 503, "timeout", "query timed out in expression evaluation");
        f.engine.failWith = new QueryException(QueryException.Kind.EXECUTION, "many-to-many matching not allowed");
        expect(FakeRequest.get("/api/v1/query_range?query=up&start=1&end=2&step=1&nocache=1"), 422, "execution",
                "many-to-many matching not allowed");
        f.engine.failWith = new QueryException(QueryException.Kind.CANCELED, "query was canceled");
        expect(FakeRequest.get("/api/v1/query?query=up"), 499, "canceled", "query was canceled");
        f.engine.failWith = new QueryException(QueryException.Kind.UNAVAILABLE, "storage closed");
        expect(FakeRequest.get("/api/v1/query?query=up"), 503, "unavailable", "storage closed");
        f.engine.failWith = new IllegalStateException("boom");
        JsonNode n = f.json(FakeRequest.get("/api/v1/query?query=up"), 500);
        assertEquals("internal", n.get("errorType").asText());
    }

    @Test void formatQuery() throws Exception {
        JsonNode n = f.json(FakeRequest.post("/api/v1/format_query", "query=" + GrafanaReplayTest.enc("sum  by(job)(rate(x<code=500>[5m] ))")), 200);
        assertEquals("success", n.get("status").asText());
        assertTrue(n.get("data").isTextual());
        String printed = n.get("data").asText();
        assertEquals("sum by (job) (rate(x{code=\"500\"}[5m]))", printed);
        assertEquals(printed, f.json(FakeRequest.get("/api/v1/format_query?query=" + GrafanaReplayTest.enc(printed)), 200).get("data").asText());
        assertTrue(f.json(FakeRequest.get("/api/v1/format_query?query=sum("), 400).get("error").asText().startsWith("invalid parameter \"query\": 1:"));
    }

    @Test void metadataEndpointsValidate() throws Exception {
        expect(FakeRequest.get("/api/v1/series"), 400, "bad_data", "no match[] parameter provided");
        expect(FakeRequest.get("/api/v1/series?match[]=" + GrafanaReplayTest.enc("{job=~\".*\"}")), 400, "bad_data",
                "invalid parameter \"match[]\": 1:1: vector selector must contain at least one non-empty matcher");
        expect(FakeRequest.get("/api/v1/series?match[]=1"), 400, "bad_data",
                "invalid parameter \"match[]\": \"1\" is not a series selector such as up{job=\"x\"}");
        expect(FakeRequest.get("/api/v1/labels?start=x"), 400, "bad_data",
                "invalid parameter \"start\": cannot parse \"x\" to a valid timestamp");
        expect(FakeRequest.get("/api/v1/label/job/values?limit=x"), 400, "bad_data",
                "invalid parameter \"limit\": cannot parse \"x\" as an integer");
        expect(FakeRequest.get("/api/v1/metadata?limit=x"), 400, "bad_data",
                "invalid parameter \"limit\": cannot parse \"x\" as an integer");
    }
}
