package io.tsdb.query.engine.eval;

/** Go regexp template expansion ($1, ${1}, $name, ${name}, $$) over a Java match. */
final class GoRegex {
    private GoRegex() {}

    static String expand(String template, java.util.regex.Matcher m) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < template.length()) {
            char c = template.charAt(i);
            if (c != '$' || i + 1 >= template.length()) {
                sb.append(c);
                i++;
                continue;
            }
            char nx = template.charAt(i + 1);
            if (nx == '$') {
                sb.append('$');
                i += 2;
                continue;
            }
            String name;
            int end;
            if (nx == '{') {
                int close = template.indexOf('}', i + 2);
                if (close < 0) { sb.append(c); i++; continue; }
                name = template.substring(i + 2, close);
                end = close + 1;
                if (name.isEmpty() || !name.chars().allMatch(ch -> Character.isLetterOrDigit(ch) || ch == '_')) {
                    sb.append(c);
                    i++;
                    continue;
                }
            } else {
                int j = i + 1;
                while (j < template.length() && (Character.isLetterOrDigit(template.charAt(j)) || template.charAt(j) == '_')) j++;
                if (j == i + 1) { sb.append(c); i++; continue; }
                name = template.substring(i + 1, j);
                end = j;
            }
            String val = null;
            if (name.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                try {
                    int g = Integer.parseInt(name);
                    if (g <= m.groupCount()) val = m.group(g);
                } catch (NumberFormatException ignored) {
                    // out of range: empty
                }
            } else {
                try {
                    val = m.group(name);
                } catch (IllegalArgumentException ignored) {
                    // unknown group: empty
                }
            }
            if (val != null) sb.append(val);
            i = end;
        }
        return sb.toString();
    }
}
