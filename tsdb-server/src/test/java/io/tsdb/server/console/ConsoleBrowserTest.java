package io.tsdb.server.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import io.tsdb.server.Defaults;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.StorageFactory;
import io.tsdb.server.TsdbServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The console in a real headless Chromium (Debian packages chromium and chromium-driver, installed by
 * .ci/run), driven by Selenium against the real server with the real query engine and API. Screenshots of
 * each page are kept in target/screenshots/ as test artifacts.
 */
class ConsoleBrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "screenshots");

    @TempDir static Path dir;
    static TsdbServer server;
    static long nowSec;
    static final ObjectMapper json = new ObjectMapper();

    ChromeDriver driver;
    WebDriverWait wait;

    @BeforeAll
    static void startServer() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "browser tests need Debian's chromium and chromium-driver (.ci/run installs them)");
        MemStorage mem = new MemStorage();
        nowSec = System.currentTimeMillis() / 1000;
        long start = (nowSec - 2 * 3600) * 1000;
        String[] regions = {"westus", "eastus", "northeu"};
        String[] codes = {"200", "500"};
        for (int r = 0; r < regions.length; r++) {
            for (int c = 0; c < codes.length; c++) {
                Labels l = Labels.of("__name__", "http_request", "code", codes[c], "region", regions[r]);
                double v = 0;
                for (long t = start; t <= nowSec * 1000 + 60_000; t += 15_000) {
                    v += (r + 1) * (c + 1);
                    mem.add(l, t, v);
                }
            }
        }
        for (int i = 0; i < 4; i++) {
            mem.add(Labels.of("__name__", "node_load1", "instance", "host" + i), nowSec * 1000 - 5_000, i * 0.25);
        }
        // a native histogram (schema 1, six buckets around 1 and a zero bucket) whose distribution drifts upwards
        for (long t = start; t <= nowSec * 1000 + 60_000; t += 15_000) {
            double phase = (t - start) / 7_200_000.0;
            io.tsdb.core.histogram.FloatHistogram h = new io.tsdb.core.histogram.FloatHistogram();
            h.schema = 1;
            h.zeroThreshold = 1e-3;
            h.zeroCount = 2;
            h.positiveSpans.add(-2, 6);
            double total = 2;
            for (int b = 0; b < 6; b++) {
                double c = Math.round(20 * Math.exp(-Math.pow(b - 5 * phase, 2)));
                h.addPositive(c);
                total += c;
            }
            h.count = total;
            h.sum = total * 1.1;
            mem.addHistogram(Labels.of("__name__", "rpc_duration_seconds", "job", "api"), t, h);
        }
        ServerConfig c = new ServerConfig();
        c.listenHost = "127.0.0.1";
        c.listenPort = 0;
        c.dataDir = dir;
        Path rules = dir.resolve("rules.yml");
        Files.writeString(rules, """
                groups:
                  - name: console
                    interval: 1s
                    rules:
                      - record: instance:node_load1:x2
                        expr: node_load1 * 2
                      - alert: LoadHigh
                        expr: node_load1 > 0.6
                        for: 1h
                        annotations: {summary: 'load {{ $value }} on {{ $labels.instance }}'}
                      - alert: LoadSome
                        expr: node_load1 > 0.4
                        labels: {severity: page}
                  - name: limited
                    interval: 1s
                    limit: 1
                    rules:
                      - record: limited:node_load1
                        expr: node_load1
                """);
        c.rulesFiles = List.of(rules.toString());
        server = TsdbServer.builder(c).storage(StorageFactory.of(mem)).engine(Defaults.engine()).features(Defaults.features()).start();
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.stop();
    }

    @BeforeEach
    void openBrowser() throws Exception {
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM.toFile());
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory(dir, "chrome"));
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        driver = new ChromeDriver(svc, o);
        wait = new WebDriverWait(driver, Duration.ofSeconds(20));
    }

    @AfterEach
    void closeBrowser(TestInfo info) {
        if (driver != null) {
            screenshot(info.getTestMethod().orElseThrow().getName());
            driver.quit();
        }
    }

    void screenshot(String name) {
        try {
            File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
            Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (Exception e) {
            System.err.println("screenshot failed: " + e);
        }
    }

    void open(String pathAndQuery) {
        driver.get(server.baseUrl() + pathAndQuery);
        wait.until(d -> "true".equals(((JavascriptExecutor) d).executeScript("return document.body.dataset.ready")));
    }

    static String enc(String s) { return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20"); }

    static JsonNode api(String pathAndQuery) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(server.baseUrl() + pathAndQuery)).build(), HttpResponse.BodyHandlers.ofString());
        return json.readTree(r.body());
    }

    @Test
    void sharedUrlRendersChartWithExpectedSeriesInLegend() {
        open("/?query=" + enc("sum by (region) (rate(http_request<code=500>[5m]))") + "&range=1h");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".u-legend")));
        List<String> legend = new ArrayList<>();
        for (WebElement e : driver.findElements(By.cssSelector(".u-legend .u-series .u-label"))) legend.add(e.getText());
        assertTrue(legend.contains("{region=\"westus\"}"), legend.toString());
        assertTrue(legend.contains("{region=\"eastus\"}"), legend.toString());
        assertTrue(legend.contains("{region=\"northeu\"}"), legend.toString());
        assertEquals(4, legend.size(), "time + three regions: " + legend);
        assertEquals("sum by (region) (rate(http_request<code=500>[5m]))",
                driver.findElement(By.cssSelector(".query-input")).getAttribute("value"));
        assertNotNull(driver.findElement(By.cssSelector(".uplot canvas")));
        screenshot("console-graph");
    }

    @Test
    void histogramSeriesIsAHeatmapOverTime() throws Exception {
        open("/?query=rpc_duration_seconds&range=1h");
        WebElement canvas = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".heatmap .heatmap-canvas")));
        assertEquals("rpc_duration_seconds{job=\"api\"}", driver.findElement(By.cssSelector(".heatmap-title")).getText());
        // one row per distinct populated bucket of the answer, one column per step
        long end = nowSec;
        JsonNode r = api("/api/v1/query_range?query=rpc_duration_seconds&start=" + (end - 3600) + "&end=" + end + "&step=60");
        java.util.Set<String> buckets = new java.util.TreeSet<>();
        for (JsonNode p : r.at("/data/result/0/histograms")) for (JsonNode b : p.get(1).path("buckets")) buckets.add(b.get(1).asText() + "," + b.get(2).asText());
        assertEquals(buckets.size(), Integer.parseInt(canvas.getAttribute("data-rows")), buckets.toString());
        assertTrue(Integer.parseInt(canvas.getAttribute("data-columns")) > 50, canvas.getAttribute("data-columns"));
        assertTrue(Double.parseDouble(canvas.getAttribute("data-max")) >= 20);
        assertTrue(driver.findElements(By.cssSelector(".uplot")).isEmpty(), "no float series: no line chart");
        screenshot("console-heatmap");
    }

    @Test
    void histogramSampleIsABucketBarChartInTheTable() throws Exception {
        long at = nowSec - 600;
        open("/?query=rpc_duration_seconds&view=table&end=" + at);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".result-table .bucket-bar")));
        JsonNode h = api("/api/v1/query?query=rpc_duration_seconds&time=" + at).at("/data/result/0/histogram/1");
        List<String> expected = new ArrayList<>(), shown = new ArrayList<>();
        for (JsonNode b : h.get("buckets")) expected.add(b.get(3).asText());
        for (WebElement bar : driver.findElements(By.cssSelector(".bucket-bar"))) shown.add(bar.getAttribute("data-count"));
        assertEquals(expected, shown);
        // the zero bucket is closed on both sides, the positive ones open on the left
        List<WebElement> bars = driver.findElements(By.cssSelector(".bucket-bar"));
        assertEquals("[-0.001, 0.001]", bars.get(0).getAttribute("data-bucket"));
        assertTrue(bars.get(1).getAttribute("data-bucket").startsWith("("), bars.get(1).getAttribute("data-bucket"));
        assertEquals("count " + h.get("count").asText() + " · sum " + h.get("sum").asText(),
                driver.findElement(By.cssSelector(".bucket-summary")).getText());
        screenshot("console-histogram-buckets");
    }

    /** Texts of the completion list as shown now (read in one script call: the list re-renders as you type). */
    @SuppressWarnings("unchecked")
    List<String> completions() {
        return (List<String>) ((JavascriptExecutor) driver).executeScript(
                "const l = document.querySelector('.completions');"
                + "return l && !l.hidden ? [...l.querySelectorAll('.completion .text')].map(e => e.textContent) : [];");
    }

    String selectedCompletion() {
        return (String) ((JavascriptExecutor) driver).executeScript(
                "const e = document.querySelector('.completions:not([hidden]) .completion.selected .text');"
                + "return e ? e.textContent : null;");
    }

    @Test
    void typingAQueryWithAutocompletion() {
        open("/");
        WebElement input = driver.findElement(By.cssSelector(".query-input"));
        input.sendKeys("http_req");
        wait.until(d -> "http_request".equals(selectedCompletion()));
        input.sendKeys(Keys.TAB);
        assertEquals("http_request", input.getAttribute("value"));
        input.sendKeys("{reg");
        wait.until(d -> completions().contains("region"));
        wait.until(d -> "region".equals(selectedCompletion()));
        input.sendKeys(Keys.TAB);
        assertEquals("http_request{region", input.getAttribute("value"));
        input.sendKeys("=");
        wait.until(d -> completions().containsAll(List.of("eastus", "northeu", "westus")));
        input.sendKeys("we");
        wait.until(d -> "westus".equals(selectedCompletion()) && completions().size() == 1);
        input.sendKeys(Keys.TAB);
        input.sendKeys("}");
        assertEquals("http_request{region=\"westus\"}", input.getAttribute("value"));
        input.sendKeys(Keys.ENTER);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".u-legend .u-series")));
        long series = driver.findElements(By.cssSelector(".u-legend .u-series")).size() - 1;
        assertEquals(2, series, "two codes in westus");
        screenshot("console-autocomplete");
    }

    @Test
    void completesFunctionsFromTheEnginesRegistry() {
        open("/");
        WebElement input = driver.findElement(By.cssSelector(".query-input"));
        input.sendKeys("histogram_st");
        wait.until(d -> completions().equals(List.of("histogram_stddev", "histogram_stdvar")));
        input.sendKeys(Keys.TAB);
        assertEquals("histogram_stddev(", input.getAttribute("value"));
        // Highlighted as a function once the registry's names arrived.
        wait.until(d -> "histogram_stddev".equals(((JavascriptExecutor) driver).executeScript(
                "const e = document.querySelector('.highlight .tok-function'); return e ? e.textContent : null;")));
    }

    @Test
    void tableValuesEqualTheApis() throws Exception {
        long at = nowSec - 600;
        String q = "http_request";
        open("/?query=" + q + "&view=table&end=" + at);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".result-table tbody tr")));
        Map<String, String> shown = new TreeMap<>();
        for (WebElement tr : driver.findElements(By.cssSelector(".result-table tbody tr"))) {
            shown.put(tr.findElement(By.cssSelector(".series")).getText(), tr.findElement(By.cssSelector(".value")).getText());
        }
        JsonNode result = api("/api/v1/query?query=" + q + "&time=" + at).get("data").get("result");
        Map<String, String> expected = new TreeMap<>();
        for (JsonNode s : result) {
            List<String> labels = new ArrayList<>();
            s.get("metric").fieldNames().forEachRemaining(n -> { if (!n.equals("__name__")) labels.add(n); });
            labels.sort(null);
            StringBuilder name = new StringBuilder(s.get("metric").get("__name__").asText()).append('{');
            for (int i = 0; i < labels.size(); i++) {
                if (i > 0) name.append(", ");
                name.append(labels.get(i)).append("=\"").append(s.get("metric").get(labels.get(i)).asText()).append('"');
            }
            expected.put(name.append('}').toString(), s.get("value").get(1).asText());
        }
        assertEquals(6, expected.size());
        assertEquals(expected, shown);
        // Sorting by value, descending after two clicks.
        WebElement valueHeader = driver.findElement(By.cssSelector(".result-table th[data-key=num]"));
        valueHeader.click();
        valueHeader.click();
        List<Double> values = new ArrayList<>();
        for (WebElement td : driver.findElements(By.cssSelector(".result-table tbody td.value"))) values.add(Double.parseDouble(td.getText()));
        for (int i = 1; i < values.size(); i++) assertTrue(values.get(i - 1) >= values.get(i), values.toString());
        screenshot("console-table");
    }

    @Test
    void invalidQueryShowsTheErrorAtItsPosition() throws Exception {
        String bad = "sum(rate(http_request[5m]) by (region)) + ]";
        open("/");
        WebElement input = driver.findElement(By.cssSelector(".query-input"));
        input.sendKeys(bad);
        driver.findElement(By.cssSelector(".run")).click();
        WebElement marker = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".error-marker")));
        String apiError = api("/api/v1/query?query=" + enc(bad)).get("error").asText();
        Matcher m = Pattern.compile("(\\d+):(\\d+):").matcher(apiError);
        assertTrue(m.find(), "API error carries line:col: " + apiError);
        assertEquals(m.group(1), marker.getAttribute("data-line"));
        assertEquals(m.group(2), marker.getAttribute("data-col"));
        assertTrue(marker.getText().contains("^"), marker.getText());
        WebElement mark = driver.findElement(By.cssSelector(".highlight mark.err"));
        int col = Integer.parseInt(m.group(2));
        String expectedChar = col - 1 < bad.length() ? String.valueOf(bad.charAt(col - 1)) : " ";
        assertEquals(expectedChar.trim(), mark.getText().trim());
        assertTrue(driver.findElement(By.cssSelector(".panel .error")).getText().contains(apiError.substring(apiError.indexOf(':') + 1).trim())
                || driver.findElement(By.cssSelector(".panel .error")).getText().contains(apiError));
        screenshot("console-error");
    }

    @Test
    void explorerListsAMetricsLabels() {
        open("/?page=explorer");
        WebElement row = wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector(".metric-row[data-name=http_request]")));
        assertEquals("6", row.findElement(By.cssSelector(".num")).getText());
        row.click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".labels-table .label-row")));
        List<String> labels = driver.findElements(By.cssSelector(".labels-table .label-name")).stream().map(WebElement::getText).toList();
        assertEquals(List.of("code", "region"), labels);
        WebElement region = driver.findElement(By.cssSelector(".label-row[data-label=region]"));
        assertEquals("3", region.findElements(By.cssSelector("td.num")).get(0).getText());
        assertTrue(driver.getCurrentUrl().contains("metric=http_request"), driver.getCurrentUrl());
        screenshot("console-explorer");
        // One click queries a value.
        region.findElement(By.cssSelector(".chip")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".u-legend .u-series")));
        assertTrue(driver.findElement(By.cssSelector(".query-input")).getAttribute("value").startsWith("http_request{region=\""));
    }

    /**
     * Waits until the rule groups have evaluated past their 'for'-state restore: 4 recorded series, 3 ALERTS
     * (LoadSome firing for host2 and host3, LoadHigh pending for host3) and 3 ALERTS_FOR_STATE, so the storage
     * holds 10 + 10 series from then on.
     */
    static void awaitRules() throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        String q = enc("count({__name__=~\"ALERTS|ALERTS_FOR_STATE|instance:node_load1:x2\"})");
        while (api("/api/v1/rules").at("/data/groups/1/rules/0/health").asText().equals("unknown")
                || !api("/api/v1/query?query=" + q).at("/data/result/0/value/1").asText().equals("10")) {
            assertTrue(System.nanoTime() < deadline, "rules not evaluated: " + api("/api/v1/rules"));
            Thread.sleep(100);
        }
    }

    @Test
    void statusPageShowsBuildStorageAndCardinality() throws Exception {
        awaitRules();
        open("/?page=status");
        wait.until(d -> !d.findElement(By.cssSelector("#status-cardinality .body")).getText().contains("Loading"));
        String card = driver.findElement(By.cssSelector("#status-cardinality .body")).getText();
        assertTrue(card.contains("http_request"), card);
        wait.until(d -> !d.findElement(By.cssSelector("#status-build .body")).getText().contains("Loading"));
        assertTrue(driver.findElement(By.cssSelector("#status-build .body")).getText().contains("version"));
        wait.until(d -> d.findElement(By.cssSelector("#status-storage .body")).getText().contains("active series"));
        // 11 written by the test (10 float series, 1 histogram series), 10 by the rules
        assertTrue(driver.findElement(By.cssSelector("#status-storage .body")).getText().contains("active series\n21")
                || driver.findElement(By.cssSelector("#status-storage .body")).getText().contains("active series 21"),
                driver.findElement(By.cssSelector("#status-storage .body")).getText());
        wait.until(d -> d.findElement(By.cssSelector("#status-rates .body")).getText().contains("queries/s"));
        String rates = driver.findElement(By.cssSelector("#status-rates .body")).getText();
        assertTrue(rates.contains("samples ingested/s") && rates.contains("active series"), rates);
        screenshot("console-status");
    }

    @Test
    void rulesAndAlertsPagesShowGroupsHealthAndAlertsByState() throws Exception {
        awaitRules();
        open("/?page=rules");
        WebElement console = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".rule-group[data-group=console]")));
        String text = console.getText();
        assertTrue(text.contains("record: instance:node_load1:x2") && text.contains("node_load1 * 2"), text);
        assertTrue(text.contains("alert: LoadHigh for 1h") && text.contains("pending (1)"), text);
        assertTrue(text.contains("alert: LoadSome") && text.contains("firing (2)") && text.contains("severity=\"page\""), text);
        assertTrue(text.contains("all healthy") && text.contains("every 1s"), text);
        String limited = driver.findElement(By.cssSelector(".rule-group[data-group=limited]")).getText();
        assertTrue(limited.contains("1 unhealthy") && limited.contains("exceeded limit of 1 with 4 series"), limited);
        screenshot("console-rules");

        driver.findElement(By.id("nav-alerts")).click();
        WebElement firing = wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".alerts-firing")));
        assertEquals(2, firing.findElements(By.cssSelector("tr.alert")).size(), firing.getText());
        assertTrue(firing.getText().contains("instance=\"host3\"") && firing.getText().contains("alertname=\"LoadSome\""), firing.getText());
        WebElement pending = driver.findElement(By.cssSelector(".alerts-pending"));
        assertEquals(1, pending.findElements(By.cssSelector("tr.alert")).size(), pending.getText());
        assertTrue(pending.getText().contains("summary: load 0.75 on host3"), pending.getText());
        String activeAt = api("/api/v1/alerts").at("/data/alerts").findValuesAsText("activeAt").get(0);
        assertTrue(pending.getText().contains(activeAt.substring(0, 16)), pending.getText() + " / " + activeAt);
        assertTrue(driver.getCurrentUrl().endsWith("?page=alerts"), driver.getCurrentUrl());
        screenshot("console-alerts");
    }

    @Test
    void noRequestLeavesTheServersOrigin() {
        open("/?query=" + enc("rate(http_request[5m])") + "&range=30m");
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".u-legend")));
        driver.findElement(By.id("nav-explorer")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".metric-row")));
        driver.findElement(By.id("nav-status")).click();
        @SuppressWarnings("unchecked")
        List<String> urls = (List<String>) ((JavascriptExecutor) driver).executeScript(
                "return performance.getEntriesByType('resource').map(e => e.name)");
        assertTrue(urls.size() >= 10, "the page loaded its modules and called the API: " + urls);
        for (String u : urls) assertTrue(u.startsWith(server.baseUrl() + "/"), "request to another origin: " + u);
    }
}
