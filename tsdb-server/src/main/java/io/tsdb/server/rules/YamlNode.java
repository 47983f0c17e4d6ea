package io.tsdb.server.rules;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree that remembers where each node starts (line and column, 1-based), read with
 * Jackson's streaming YAML parser, so rule-file errors can name the line as {@code promtool check rules} does.
 * A duplicate key in a mapping is an error, as in Prometheus's YAML library.
 */
public final class YamlNode {
    public enum Kind { MAP, LIST, SCALAR, NULL }

    private static final YAMLFactory FACTORY = YAMLFactory.builder().build();

    public final Kind kind;
    public final String text;
    public final Map<String, YamlNode> map;
    /** For each key of a map, where the key itself is. */
    public final Map<String, int[]> keyPos;
    public final List<YamlNode> list;
    public final int line;
    public final int col;

    private YamlNode(Kind kind, String text, Map<String, YamlNode> map, Map<String, int[]> keyPos, List<YamlNode> list, int line, int col) {
        this.kind = kind;
        this.text = text;
        this.map = map;
        this.keyPos = keyPos;
        this.list = list;
        this.line = line;
        this.col = col;
    }

    /** The documents of a YAML text: the first is returned, {@code documents[0]} receives how many there were. */
    public static YamlNode parse(String yaml, int[] documents) throws YamlException {
        try (JsonParser p = FACTORY.createParser(yaml)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                documents[0] = 0;
                return null;
            }
            YamlNode root = read(p, t);
            int n = 1;
            while (p.nextToken() != null) {
                n++;
                p.skipChildren();
            }
            documents[0] = n;
            return root;
        } catch (YamlException e) {
            throw e;
        } catch (IOException e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            int line = 0, col = 0;
            if (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe && jpe.getLocation() != null) {
                line = jpe.getLocation().getLineNr();
                col = jpe.getLocation().getColumnNr();
                msg = jpe.getOriginalMessage();
            }
            throw new YamlException(line, col, "yaml: " + msg.replaceAll("\\s*\\R\\s*", " ").trim());
        }
    }

    private static YamlNode read(JsonParser p, JsonToken t) throws IOException, YamlException {
        JsonLocation loc = p.currentTokenLocation();
        int line = loc.getLineNr(), col = loc.getColumnNr();
        switch (t) {
            case START_OBJECT -> {
                Map<String, YamlNode> m = new LinkedHashMap<>();
                Map<String, int[]> pos = new LinkedHashMap<>();
                JsonToken k;
                while ((k = p.nextToken()) == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    JsonLocation kl = p.currentTokenLocation();
                    if (m.containsKey(key)) {
                        throw new YamlException(kl.getLineNr(), kl.getColumnNr(), "yaml: mapping key \"" + key
                                + "\" already defined at line " + pos.get(key)[0]);
                    }
                    pos.put(key, new int[]{kl.getLineNr(), kl.getColumnNr()});
                    m.put(key, read(p, p.nextToken()));
                }
                return new YamlNode(Kind.MAP, null, m, pos, null, line, col);
            }
            case START_ARRAY -> {
                List<YamlNode> l = new ArrayList<>();
                JsonToken e;
                while ((e = p.nextToken()) != JsonToken.END_ARRAY) l.add(read(p, e));
                return new YamlNode(Kind.LIST, null, null, null, l, line, col);
            }
            case VALUE_NULL -> { return new YamlNode(Kind.NULL, null, null, null, null, line, col); }
            default -> { return new YamlNode(Kind.SCALAR, p.getText(), null, null, null, line, col); }
        }
    }

    public YamlNode get(String key) { return map == null ? null : map.get(key); }

    /** Null, or an empty plain value ({@code key:} with nothing after it, which the YAML reader gives as ""). */
    public boolean isNull() { return kind == Kind.NULL || (kind == Kind.SCALAR && text.isEmpty()); }

    /** {@code line:col}, as Prometheus prints positions. */
    public String pos() { return line + ":" + col; }

    /** A YAML error at a position. */
    public static final class YamlException extends Exception {
        public final int line, col;

        public YamlException(int line, int col, String message) {
            super(message);
            this.line = line;
            this.col = col;
        }
    }
}
