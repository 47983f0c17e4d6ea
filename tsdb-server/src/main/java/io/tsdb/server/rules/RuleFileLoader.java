package io.tsdb.server.rules;

import io.tsdb.core.Labels;
import io.tsdb.core.registry.LabelValidator;
import io.tsdb.query.ast.Expr;
import io.tsdb.query.parser.ParseException;
import io.tsdb.query.parser.QueryParser;
import io.tsdb.server.rules.template.Template;
import io.tsdb.server.rules.template.TemplateException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads Prometheus rule files ({@code groups:} of recording and alerting rules, the format Prometheus and
 * {@code promtool check rules} read) and validates them as Prometheus does, reporting every error with the file,
 * its line and column, the group, the rule's position and name:
 * {@code rules.yml: 7:15: group "g", rule 2, "HighLatency": could not parse expression: ...}.
 *
 * <p>Checks: known fields only (unless {@code ignoreUnknownFields}), group names present and unique in a file,
 * exactly one of {@code record} / {@code alert}, {@code expr} present and valid PromQL, no {@code for},
 * {@code keep_firing_for} or {@code annotations} on recording rules, valid metric and label names, valid durations,
 * and templates of alerting rules that parse with only known functions and declared variables. A second YAML
 * document is ignored with a warning, as in Prometheus.
 */
public final class RuleFileLoader {
    private static final Set<String> TOP_FIELDS = Set.of("groups");
    private static final Set<String> GROUP_FIELDS = Set.of("name", "interval", "query_offset", "limit", "rules", "labels");
    private static final Set<String> RULE_FIELDS = Set.of("record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations");

    /** Groups of every file loaded, in file order, or the errors that refuse them; warnings in both cases. */
    public record Result(List<RuleSpecs.Group> groups, List<String> errors, List<String> warnings) {
        public boolean ok() { return errors.isEmpty(); }
    }

    private RuleFileLoader() {}

    /** Loads files (already expanded from globs), each under the name given. */
    public static Result load(List<String> files, boolean ignoreUnknownFields) {
        List<RuleSpecs.Group> groups = new ArrayList<>();
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        for (String f : files) {
            Result r = loadFile(f, ignoreUnknownFields);
            groups.addAll(r.groups());
            errors.addAll(r.errors());
            warnings.addAll(r.warnings());
        }
        return new Result(errors.isEmpty() ? groups : List.of(), errors, warnings);
    }

    public static Result loadFile(String file, boolean ignoreUnknownFields) {
        String text;
        try {
            byte[] b = Files.readAllBytes(Path.of(file));
            text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return new Result(List.of(), List.of(file + ": the file is not valid UTF-8"), List.of());
        } catch (IOException e) {
            return new Result(List.of(), List.of(file + ": " + ioMessage(e)), List.of());
        }
        return parse(file, text, ignoreUnknownFields);
    }

    private static String ioMessage(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) return "open " + e.getMessage() + ": no such file or directory";
        if (e instanceof java.nio.file.AccessDeniedException) return "open " + e.getMessage() + ": permission denied";
        return e.toString();
    }

    /** Parses and validates the text of one file named {@code file}. */
    public static Result parse(String file, String text, boolean ignoreUnknownFields) {
        List<String> errors = new ArrayList<>(), warnings = new ArrayList<>();
        int[] docs = new int[1];
        YamlNode root;
        try {
            root = YamlNode.parse(text, docs);
        } catch (YamlNode.YamlException e) {
            return new Result(List.of(), List.of(file + ": " + (e.line > 0 ? e.line + ":" + e.col + ": " : "") + e.getMessage()), List.of());
        }
        if (docs[0] > 1) warnings.add(file + ": multiple document yaml rules files are not supported, only the first document is processed");
        List<RuleSpecs.Group> groups = new ArrayList<>();
        if (root == null || root.isNull()) return new Result(groups, errors, warnings);
        if (root.kind != YamlNode.Kind.MAP) {
            errors.add(file + ": " + root.pos() + ": yaml: cannot unmarshal " + kindName(root) + " into rulefmt.RuleGroups");
            return new Result(List.of(), errors, warnings);
        }
        unknownFields(file, root, TOP_FIELDS, "rulefmt.RuleGroups", ignoreUnknownFields, errors, null, 0, null);
        YamlNode gs = root.get("groups");
        if (gs != null && !gs.isNull()) {
            if (gs.kind != YamlNode.Kind.LIST) {
                errors.add(file + ": " + gs.pos() + ": yaml: cannot unmarshal " + kindName(gs) + " into []rulefmt.RuleGroup");
            } else {
                Set<String> names = new HashSet<>();
                for (YamlNode g : gs.list) {
                    RuleSpecs.Group group = group(file, g, ignoreUnknownFields, names, errors);
                    if (group != null) groups.add(group);
                }
            }
        }
        return new Result(errors.isEmpty() ? groups : List.of(), errors, warnings);
    }

    private static String kindName(YamlNode n) {
        return switch (n.kind) {
            case MAP -> "!!map";
            case LIST -> "!!seq";
            case NULL -> "!!null";
            case SCALAR -> "!!str `" + n.text + "`";
        };
    }

    private static void unknownFields(String file, YamlNode m, Set<String> known, String type, boolean ignore,
                                      List<String> errors, String group, int ruleIndex, String ruleName) {
        if (ignore) return;
        for (Map.Entry<String, int[]> e : m.keyPos.entrySet()) {
            if (known.contains(e.getKey())) continue;
            String where = file + ": " + e.getValue()[0] + ":" + e.getValue()[1] + ": ";
            if (group != null && ruleIndex > 0) where += "group \"" + group + "\", rule " + ruleIndex + ", \"" + ruleName + "\": ";
            else if (group != null) where += "group \"" + group + "\": ";
            errors.add(where + "field " + e.getKey() + " not found in type " + type);
        }
    }

    private static RuleSpecs.Group group(String file, YamlNode g, boolean ignore, Set<String> names, List<String> errors) {
        if (g.kind != YamlNode.Kind.MAP) {
            errors.add(file + ": " + g.pos() + ": yaml: cannot unmarshal " + kindName(g) + " into rulefmt.RuleGroup");
            return null;
        }
        int before = errors.size();
        String name = scalar(g.get("name"));
        String gname = name == null ? "" : name;
        unknownFields(file, g, GROUP_FIELDS, "rulefmt.RuleGroup", ignore, errors, gname, 0, null);
        if (gname.isEmpty()) errors.add(file + ": " + g.pos() + ": Groupname must not be empty");
        else if (!names.add(gname)) errors.add(file + ": " + g.pos() + ": groupname: \"" + gname + "\" is repeated in the same file");
        long interval = duration(file, g.get("interval"), "interval", gname, errors);
        Long offset = g.get("query_offset") == null || g.get("query_offset").isNull() ? null
                : duration(file, g.get("query_offset"), "query_offset", gname, errors);
        int limit = 0;
        YamlNode lim = g.get("limit");
        if (lim != null && !lim.isNull()) {
            try {
                limit = Integer.parseInt(scalarOrEmpty(lim).trim());
                if (limit < 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                errors.add(file + ": " + lim.pos() + ": group \"" + gname + "\": invalid limit " + describeScalar(lim)
                        + ": must be a non-negative integer");
            }
        }
        Map<String, String> glabels = stringMap(file, g.get("labels"), "labels", gname, 0, null, errors);
        for (Map.Entry<String, String> e : glabels.entrySet()) {
            if (!LabelValidator.isValidLabelName(e.getKey()) || e.getKey().equals(Labels.METRIC_NAME)) {
                errors.add(file + ": " + g.get("labels").pos() + ": group \"" + gname + "\": invalid label name: " + e.getKey());
            }
        }
        List<RuleSpecs.Rule> rules = new ArrayList<>();
        YamlNode rs = g.get("rules");
        if (rs != null && !rs.isNull()) {
            if (rs.kind != YamlNode.Kind.LIST) {
                errors.add(file + ": " + rs.pos() + ": group \"" + gname + "\": yaml: cannot unmarshal " + kindName(rs) + " into []rulefmt.Rule");
            } else {
                for (int i = 0; i < rs.list.size(); i++) {
                    RuleSpecs.Rule r = rule(file, gname, i + 1, rs.list.get(i), glabels, ignore, errors);
                    if (r != null) rules.add(r);
                }
            }
        }
        if (errors.size() > before) return null;
        return new RuleSpecs.Group(file, gname, interval, offset, limit, Labels.fromMap(glabels), List.copyOf(rules), g.line);
    }

    private static RuleSpecs.Rule rule(String file, String group, int index, YamlNode r, Map<String, String> groupLabels,
                                       boolean ignore, List<String> errors) {
        if (r.kind != YamlNode.Kind.MAP) {
            errors.add(file + ": " + r.pos() + ": group \"" + group + "\", rule " + index + ", \"\": yaml: cannot unmarshal "
                    + kindName(r) + " into rulefmt.Rule");
            return null;
        }
        int before = errors.size();
        String record = scalar(r.get("record"));
        String alert = scalar(r.get("alert"));
        if (record != null && record.isEmpty()) record = null;
        if (alert != null && alert.isEmpty()) alert = null;
        String name = alert != null ? alert : record != null ? record : "";
        String prefix = "group " + q(group) + ", rule " + index + ", " + q(name) + ": ";
        unknownFields(file, r, RULE_FIELDS, "rulefmt.Rule", ignore, errors, group, index, name);
        YamlNode recordNode = r.get("record"), alertNode = r.get("alert"), exprNode = r.get("expr");
        String pos = at(recordNode != null ? recordNode : alertNode != null ? alertNode : r);
        if (record != null && alert != null) {
            errors.add(file + ": " + at(recordNode) + ": " + at(alertNode) + ": " + prefix + "only one of 'record' and 'alert' must be set");
        }
        if (record == null && alert == null) {
            errors.add(file + ": " + r.pos() + ": " + prefix + "one of 'record' or 'alert' must be set");
        }
        String exprText = scalar(exprNode);
        Expr expr = null;
        if (exprText == null || exprText.isEmpty()) {
            errors.add(file + ": " + at(exprNode == null ? r : exprNode) + ": " + prefix + "field 'expr' must be set in rule");
        } else {
            try {
                expr = QueryParser.parse(exprText);
            } catch (ParseException e) {
                errors.add(file + ": " + at(exprNode) + ": " + prefix + "could not parse expression: " + e.getMessage());
            } catch (RuntimeException e) {
                errors.add(file + ": " + at(exprNode) + ": " + prefix + "could not parse expression: " + e.getMessage());
            }
        }
        long forMs = duration(file, r.get("for"), "for", group, errors);
        long keepMs = duration(file, r.get("keep_firing_for"), "keep_firing_for", group, errors);
        Map<String, String> labels = stringMap(file, r.get("labels"), "labels", group, index, name, errors);
        Map<String, String> annotations = stringMap(file, r.get("annotations"), "annotations", group, index, name, errors);
        if (record != null) {
            if (!annotations.isEmpty()) errors.add(file + ": " + pos + ": " + prefix + "invalid field 'annotations' in recording rule");
            if (forMs != 0) errors.add(file + ": " + pos + ": " + prefix + "invalid field 'for' in recording rule");
            if (keepMs != 0) errors.add(file + ": " + pos + ": " + prefix + "invalid field 'keep_firing_for' in recording rule");
            if (record.contains("{") || record.contains("}")) {
                errors.add(file + ": " + pos + ": " + prefix + "braces present in the recording rule name; should it be in expr?: " + record);
            } else if (!LabelValidator.isValidMetricName(record)) {
                errors.add(file + ": " + pos + ": " + prefix + "invalid recording rule name: " + record);
            }
        }
        String labelsPos = at(r.get("labels") == null ? r : r.get("labels"));
        for (String k : labels.keySet()) {
            if (!LabelValidator.isValidLabelName(k) || k.equals(Labels.METRIC_NAME)) {
                errors.add(file + ": " + keyAt(r.get("labels"), k) + ": " + prefix + "invalid label name: " + k);
            }
        }
        for (String k : annotations.keySet()) {
            if (!LabelValidator.isValidLabelName(k)) errors.add(file + ": " + keyAt(r.get("annotations"), k) + ": " + prefix + "invalid annotation name: " + k);
        }
        Map<String, Template> labelTemplates = new LinkedHashMap<>(), annTemplates = new LinkedHashMap<>();
        if (alert != null) {
            for (Map.Entry<String, String> e : labels.entrySet()) {
                try {
                    labelTemplates.put(e.getKey(), PromTemplates.parseAlert(alert, e.getValue()));
                } catch (TemplateException ex) {
                    errors.add(file + ": " + valueAt(r.get("labels"), e.getKey()) + ": " + prefix + "label " + q(e.getKey()) + ": " + ex.getMessage());
                }
            }
            for (Map.Entry<String, String> e : annotations.entrySet()) {
                try {
                    annTemplates.put(e.getKey(), PromTemplates.parseAlert(alert, e.getValue()));
                } catch (TemplateException ex) {
                    errors.add(file + ": " + valueAt(r.get("annotations"), e.getKey()) + ": " + prefix + "annotation " + q(e.getKey()) + ": " + ex.getMessage());
                }
            }
        }
        if (errors.size() > before) return null;
        Map<String, String> merged = new TreeMap<>(groupLabels);
        merged.putAll(labels);
        if (alert != null) {
            // group labels are templates too (they are merged into the rule's labels before expansion)
            for (Map.Entry<String, String> e : groupLabels.entrySet()) {
                if (labelTemplates.containsKey(e.getKey())) continue;
                try {
                    labelTemplates.put(e.getKey(), PromTemplates.parseAlert(alert, e.getValue()));
                } catch (TemplateException ex) {
                    errors.add(file + ": " + labelsPos + ": " + prefix + "label \"" + e.getKey() + "\": " + ex.getMessage());
                    return null;
                }
            }
        }
        return new RuleSpecs.Rule(index, record, alert, exprText, expr, forMs, keepMs, Labels.fromMap(merged),
                new TreeMap<>(annotations), Map.copyOf(labelTemplates), Map.copyOf(annTemplates), r.line);
    }

    /** Go's %q: the name quoted with escapes, as Prometheus prints group and rule names. */
    private static String q(String s) {
        return io.tsdb.server.rules.template.GoFmt.sprintf("%q", List.of(s));
    }

    private static String keyAt(YamlNode map, String key) {
        if (map == null || map.keyPos == null || !map.keyPos.containsKey(key)) return at(map);
        int[] p = map.keyPos.get(key);
        return p[0] + ":" + p[1];
    }

    private static String valueAt(YamlNode map, String key) {
        YamlNode v = map == null ? null : map.get(key);
        return v == null ? at(map) : v.pos();
    }

    private static String at(YamlNode n) {
        return n == null ? "0:0" : n.pos();
    }

    private static String scalar(YamlNode n) {
        if (n == null || n.isNull()) return null;
        if (n.kind != YamlNode.Kind.SCALAR) return null;
        return n.text;
    }

    private static String scalarOrEmpty(YamlNode n) {
        String s = scalar(n);
        return s == null ? "" : s;
    }

    private static String describeScalar(YamlNode n) {
        return n.kind == YamlNode.Kind.SCALAR ? "\"" + n.text + "\"" : kindName(n);
    }

    private static long duration(String file, YamlNode n, String field, String group, List<String> errors) {
        if (n == null || n.isNull()) return 0;
        String s = scalar(n);
        if (s == null) {
            errors.add(file + ": " + n.pos() + ": group \"" + group + "\": " + field + ": yaml: cannot unmarshal " + kindName(n) + " into model.Duration");
            return 0;
        }
        try {
            return RuleDurations.parse(s.trim());
        } catch (IllegalArgumentException e) {
            errors.add(file + ": " + n.pos() + ": group \"" + group + "\": " + field + ": " + e.getMessage());
            return 0;
        }
    }

    private static Map<String, String> stringMap(String file, YamlNode n, String field, String group, int index,
                                                 String rule, List<String> errors) {
        Map<String, String> out = new TreeMap<>();
        if (n == null || n.isNull()) return out;
        String where = "group \"" + group + "\"" + (index > 0 ? ", rule " + index + ", \"" + rule + "\"" : "") + ": ";
        if (n.kind != YamlNode.Kind.MAP) {
            errors.add(file + ": " + n.pos() + ": " + where + field + ": yaml: cannot unmarshal " + kindName(n) + " into map[string]string");
            return out;
        }
        for (Map.Entry<String, YamlNode> e : n.map.entrySet()) {
            YamlNode v = e.getValue();
            if (v.isNull()) {
                out.put(e.getKey(), "");
            } else if (v.kind != YamlNode.Kind.SCALAR) {
                errors.add(file + ": " + v.pos() + ": " + where + field + " \"" + e.getKey() + "\": yaml: cannot unmarshal "
                        + kindName(v) + " into string");
            } else {
                out.put(e.getKey(), v.text);
            }
        }
        return out;
    }

    /**
     * Expands {@code --rules.file} patterns (Go's filepath.Glob syntax: {@code * ? [...]} within one path element),
     * in pattern order, each pattern's matches sorted; a file matched twice is loaded once. A pattern without
     * glob characters must name an existing file (an error otherwise, so a typo does not silently load nothing);
     * a glob matching nothing gives a warning.
     */
    public static List<String> expand(List<String> patterns, List<String> errors, List<String> warnings) {
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String pat : patterns) {
            List<String> m = Globs.glob(pat);
            if (m == null) {
                errors.add("rule file pattern '" + pat + "': syntax error in pattern");
                continue;
            }
            if (m.isEmpty()) {
                if (Globs.hasMeta(pat)) warnings.add("rule file pattern '" + pat + "' matches no file");
                else errors.add(pat + ": open " + pat + ": no such file or directory");
            }
            for (String f : m) if (seen.add(f)) out.add(f);
        }
        return out;
    }
}
