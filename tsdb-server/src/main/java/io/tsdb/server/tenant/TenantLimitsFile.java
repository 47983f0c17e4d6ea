package io.tsdb.server.tenant;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Descriptor and reader of the tenant limits file ({@code --tenant.limits-file}, spec:
 * docs/format/tenant-limits.md): YAML with {@code defaults} (limits of every tenant not named, over the flags) and
 * {@code overrides} (tenant ID -> limits; a key not given keeps the default's value), as Mimir's runtime
 * configuration. Unknown keys, bad tenant IDs and negative values are refused with the file, key and line.
 */
public final class TenantLimitsFile {
    private TenantLimitsFile() {}

    /** The file's content: defaults and per-tenant overrides, each complete (merged). */
    public record Content(TenantLimits defaults, Map<String, TenantLimits> overrides) {}

    /** A file that cannot be used; the message names the file, the key and what is wrong. */
    public static final class LimitsException extends Exception {
        public LimitsException(String message) { super(message); }
    }

    /** The schema the YAML binds to (partial limits: absent keys are null). */
    record File(@JsonProperty("defaults") Map<String, Object> defaults,
                @JsonProperty("overrides") Map<String, Map<String, Object>> overrides) {}

    private static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder().build())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    public static Content load(Path file, TenantLimits base) throws LimitsException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            throw new LimitsException("tenant limits " + file + ": cannot read: " + e.getMessage());
        }
        return parse(file, text, base);
    }

    public static Content parse(Path file, String text, TenantLimits base) throws LimitsException {
        String where = "tenant limits " + file + ": ";
        File f;
        try {
            f = text.isBlank() ? null : YAML.readValue(text, File.class);
        } catch (UnrecognizedPropertyException e) {
            throw new LimitsException(where + line(e) + "unknown key \"" + e.getPropertyName() + "\" (known keys: defaults, overrides)");
        } catch (JsonProcessingException e) {
            throw new LimitsException(where + line(e) + e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " "));
        }
        if (f == null) return new Content(base, Map.of());
        TenantLimits defaults = merge(where + "defaults: ", base, f.defaults());
        Map<String, TenantLimits> overrides = new LinkedHashMap<>();
        if (f.overrides() != null) {
            for (var e : f.overrides().entrySet()) {
                String why = TenantScope.invalid(e.getKey());
                if (why != null) throw new LimitsException(where + "overrides: " + why);
                overrides.put(e.getKey(), merge(where + "overrides." + e.getKey() + ": ", defaults, e.getValue()));
            }
        }
        return new Content(defaults, Map.copyOf(overrides));
    }

    /** {@code base} with the keys given in {@code partial} replaced (through Jackson, so names and types are checked). */
    private static TenantLimits merge(String where, TenantLimits base, Map<String, Object> partial) throws LimitsException {
        if (partial == null) return base;
        ObjectNode node = YAML.valueToTree(base);
        for (var e : partial.entrySet()) {
            if (!node.has(e.getKey())) {
                throw new LimitsException(where + "unknown key \"" + e.getKey() + "\" (known keys: "
                        + String.join(", ", (Iterable<String>) node::fieldNames) + ")");
            }
            if (e.getValue() == null) throw new LimitsException(where + e.getKey() + ": no value");
            node.set(e.getKey(), YAML.valueToTree(e.getValue()));
        }
        TenantLimits l;
        try {
            l = YAML.treeToValue(node, TenantLimits.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            String msg = e instanceof JsonMappingException m ? m.getOriginalMessage() : e.getMessage();
            throw new LimitsException(where + msg.replaceAll("\\s*\\R\\s*", " "));
        }
        if (l.ingestionRate() < 0 || l.ingestionBurstSize() < 0 || l.maxSeries() < 0 || l.maxSeriesPerMetric() < 0
                || l.maxLabelNamesPerSeries() < 0 || l.maxFetchedSeriesPerQuery() < 0 || l.maxSamplesPerQuery() < 0
                || l.maxConcurrentQueries() < 0 || !Double.isFinite(l.ingestionRate())) {
            throw new LimitsException(where + "limits must be finite and not negative (0 = no limit)");
        }
        return l;
    }

    private static String line(JsonProcessingException e) {
        var l = e.getLocation();
        return l == null || l.getLineNr() < 1 ? "" : "line " + l.getLineNr() + ": ";
    }
}
