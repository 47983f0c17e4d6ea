package io.tsdb.core;

import java.util.Objects;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A label matcher: {@code name op value}. Regular expressions are fully anchored, as in Prometheus.
 * A label that is absent matches as the empty string.
 */
public final class Matcher {
    public enum Type {
        EQ("="), NEQ("!="), RE("=~"), NRE("!~");
        public final String symbol;
        Type(String symbol) { this.symbol = symbol; }
    }

    private final Type type;
    private final String name;
    private final String value;
    private final Pattern pattern;
    /** For a regex matcher whose regex matches a small finite set of strings: that set (see {@link RegexSet}). */
    private final java.util.List<String> setMatches;

    private Matcher(Type type, String name, String value) {
        this.type = Objects.requireNonNull(type);
        this.name = Objects.requireNonNull(name);
        this.value = Objects.requireNonNull(value);
        this.pattern = (type == Type.RE || type == Type.NRE) ? compile(value) : null;
        this.setMatches = pattern != null ? RegexSet.expand(value) : null;
    }

    /** @throws IllegalArgumentException with a readable message when a regex does not compile */
    public static Matcher of(Type type, String name, String value) { return new Matcher(type, name, value); }
    public static Matcher eq(String name, String value) { return new Matcher(Type.EQ, name, value); }
    public static Matcher neq(String name, String value) { return new Matcher(Type.NEQ, name, value); }
    public static Matcher re(String name, String value) { return new Matcher(Type.RE, name, value); }
    public static Matcher nre(String name, String value) { return new Matcher(Type.NRE, name, value); }

    private static Pattern compile(String re) {
        try {
            return Pattern.compile("(?:" + re + ")", Pattern.DOTALL);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("invalid regular expression \"" + re + "\": " + e.getDescription(), e);
        }
    }

    public Type type() { return type; }
    public String name() { return name; }
    public String value() { return value; }
    public Pattern pattern() { return pattern; }

    /**
     * For =~ and !~: every string the regular expression matches, when that is a small finite set (e.g.
     * {@code host_(1|2|3)}); null when unknown or for = and !=. Indexes answer such matchers by dictionary lookups.
     */
    public java.util.List<String> setMatches() { return setMatches; }

    /** Whether the given label value (empty string when the label is absent) matches. */
    public boolean matches(String v) {
        if (v == null) v = "";
        return switch (type) {
            case EQ -> value.equals(v);
            case NEQ -> !value.equals(v);
            case RE -> setMatches != null ? setMatches.contains(v) : pattern.matcher(v).matches();
            case NRE -> setMatches != null ? !setMatches.contains(v) : !pattern.matcher(v).matches();
        };
    }

    /** Whether this matcher selects series that lack the label (i.e. it matches the empty string). */
    public boolean matchesEmpty() { return matches(""); }

    public boolean matches(Labels labels) { return matches(labels.get(name)); }

    @Override public boolean equals(Object o) {
        return o instanceof Matcher m && m.type == type && m.name.equals(name) && m.value.equals(value);
    }

    @Override public int hashCode() { return Objects.hash(type, name, value); }

    @Override public String toString() {
        return name + type.symbol + '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
