package io.tsdb.core.block;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A block's {@code meta.json} (descriptor of docs/format/block-meta.md): identity, inclusive time range,
 * statistics and compaction lineage.
 *
 * @param ulid       block id, also the directory name
 * @param minTime    smallest sample timestamp the block may hold (ms, inclusive)
 * @param maxTime    largest sample timestamp the block may hold (ms, inclusive)
 * @param numSeries  series in the block
 * @param numSamples samples in the block
 * @param numChunks  chunks in the block
 * @param level      compaction level: 1 for a block cut from the head, max(source levels)+1 after compaction
 * @param sources    ulids of the level-1 blocks whose data this block holds (itself for level 1)
 * @param parents    ulids of the blocks directly compacted into this one (empty for level 1)
 * @param version    meta format version ({@link #VERSION})
 */
public record BlockMeta(String ulid, long minTime, long maxTime, long numSeries, long numSamples, long numChunks,
                        int level, List<String> sources, List<String> parents, int version) {
    public static final String FILE = "meta.json";
    public static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public BlockMeta {
        sources = List.copyOf(sources);
        parents = List.copyOf(parents);
    }

    /** Whether [mint, maxt] overlaps this block's range. */
    public boolean overlaps(long mint, long maxt) { return minTime <= maxt && maxTime >= mint; }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("ulid", ulid);
        root.put("minTime", minTime);
        root.put("maxTime", maxTime);
        ObjectNode stats = root.putObject("stats");
        stats.put("numSeries", numSeries);
        stats.put("numSamples", numSamples);
        stats.put("numChunks", numChunks);
        ObjectNode comp = root.putObject("compaction");
        comp.put("level", level);
        ArrayNode s = comp.putArray("sources");
        sources.forEach(s::add);
        ArrayNode p = comp.putArray("parents");
        parents.forEach(p::add);
        root.put("version", version);
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes meta.json into {@code dir} and fsyncs it. */
    public void write(Path dir) throws IOException {
        write(FileLayer.SYSTEM, dir);
    }

    /** Writes meta.json (a new file) into {@code dir} through {@code fs} and fsyncs it. */
    public void write(FileLayer fs, Path dir) throws IOException {
        fs.writeFileDurably(dir.resolve(FILE), toJson().getBytes(StandardCharsets.UTF_8));
    }

    /** Reads and validates {@code <dir>/meta.json}. */
    public static BlockMeta read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        String text = Files.readString(f, StandardCharsets.UTF_8);
        return parse(text, f);
    }

    static BlockMeta parse(String text, Path f) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new CorruptBlockException(f, "json", "not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new CorruptBlockException(f, "json", "not a JSON object");
        int version = (int) requireLong(root, "version", f);
        if (version != VERSION) throw new CorruptBlockException(f, "version", "unsupported meta version " + version + ", this build reads " + VERSION);
        String ulid = requireText(root, "ulid", f);
        if (!Ulid.isValid(ulid)) throw new CorruptBlockException(f, "ulid", "not a ULID: " + ulid);
        long minTime = requireLong(root, "minTime", f), maxTime = requireLong(root, "maxTime", f);
        if (maxTime < minTime) throw new CorruptBlockException(f, "maxTime", "maxTime " + maxTime + " < minTime " + minTime);
        JsonNode stats = root.get("stats");
        if (stats == null || !stats.isObject()) throw new CorruptBlockException(f, "stats", "missing");
        JsonNode comp = root.get("compaction");
        if (comp == null || !comp.isObject()) throw new CorruptBlockException(f, "compaction", "missing");
        int level = (int) requireLong(comp, "level", f);
        if (level < 1) throw new CorruptBlockException(f, "compaction.level", "must be >= 1: " + level);
        return new BlockMeta(ulid, minTime, maxTime, requireLong(stats, "numSeries", f), requireLong(stats, "numSamples", f),
                requireLong(stats, "numChunks", f), level, ulids(comp, "sources", f), ulids(comp, "parents", f), version);
    }

    private static long requireLong(JsonNode n, String field, Path f) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToLong() || !v.isIntegralNumber()) throw new CorruptBlockException(f, field, "missing or not an integer");
        long x = v.asLong();
        if (x < 0 && !field.endsWith("Time")) throw new CorruptBlockException(f, field, "negative: " + x);
        return x;
    }

    private static String requireText(JsonNode n, String field, Path f) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new CorruptBlockException(f, field, "missing or not a string");
        return v.asText();
    }

    private static List<String> ulids(JsonNode n, String field, Path f) {
        JsonNode v = n.get(field);
        if (v == null || !v.isArray()) throw new CorruptBlockException(f, "compaction." + field, "missing or not an array");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual() || !Ulid.isValid(e.asText())) throw new CorruptBlockException(f, "compaction." + field, "not a ULID: " + e);
            out.add(e.asText());
        }
        return out;
    }
}
