package io.tsdb.server.rules;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code filepath.Glob}: {@code *}, {@code ?} and {@code [...]} match within one path element; matches keep
 * the pattern's spelling of the directories (so a rule file's name, and with it its group keys and evaluation
 * offsets, are the same as in Prometheus given the same pattern) and are sorted element by element.
 */
final class Globs {
    private Globs() {}

    static boolean hasMeta(String s) {
        return s.indexOf('*') >= 0 || s.indexOf('?') >= 0 || s.indexOf('[') >= 0 || s.indexOf('\\') >= 0;
    }

    /** The files matching, or null for a malformed pattern. */
    static List<String> glob(String pattern) {
        if (!hasMeta(pattern)) {
            return Files.exists(Path.of(pattern)) ? List.of(pattern) : List.of();
        }
        int sep = pattern.lastIndexOf('/');
        String dir = sep < 0 ? "" : sep == 0 ? "/" : pattern.substring(0, sep);
        String file = pattern.substring(sep + 1);
        List<String> dirs;
        if (!dir.isEmpty() && !dir.equals("/") && hasMeta(dir)) {
            dirs = glob(dir);
            if (dirs == null) return null;
        } else {
            dirs = List.of(dir);
        }
        List<String> out = new ArrayList<>();
        PathMatcher m;
        try {
            m = java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + goToJavaGlob(file));
        } catch (IllegalArgumentException e) {
            return null;
        }
        for (String d : dirs) {
            Path dp = Path.of(d.isEmpty() ? "." : d);
            if (!Files.isDirectory(dp)) continue;
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dp)) {
                for (Path p : ds) {
                    Path name = p.getFileName();
                    if (m.matches(name)) names.add(name.toString());
                }
            } catch (IOException e) {
                continue;
            }
            names.sort(null);
            for (String n : names) out.add(d.isEmpty() ? n : d.equals("/") ? "/" + n : d + "/" + n);
        }
        return out;
    }

    /** Go's [^...] is [!...] in Java's glob; braces are literal in Go. */
    private static String goToJavaGlob(String g) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < g.length(); i++) {
            char c = g.charAt(i);
            if (c == '[' && i + 1 < g.length() && g.charAt(i + 1) == '^') {
                sb.append("[!");
                i++;
            } else if (c == '{' || c == '}') {
                sb.append('\\').append(c);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
