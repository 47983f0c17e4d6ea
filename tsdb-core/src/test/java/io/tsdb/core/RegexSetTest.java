package io.tsdb.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RegexSetTest {
    private static Set<String> set(String re) {
        List<String> l = RegexSet.expand(re);
        return l == null ? null : new HashSet<>(l);
    }

    @Test void expandsLiteralsAlternationsAndGroups() {
        assertEquals(Set.of("a", "b", "c"), set("a|b|c"));
        assertEquals(Set.of("host_0", "host_1", "host_7"), set("host_(0|1|7)"));
        assertEquals(Set.of("cpu_user_total", "cpu_system_total"), set("cpu_(user|system)_total"));
        assertEquals(Set.of("x.z", "y.z"), set("(?:x|y)\\.z"));
        assertEquals(Set.of("ac", "ad", "bc", "bd"), set("(a|b)(c|d)"));
        assertEquals(Set.of("", "a"), set("a|"));
        assertEquals(Set.of(""), set(""));
        assertEquals(Set.of("a(b"), set("a\\(b"));
        assertEquals(List.of("a"), RegexSet.expand("a|a"));
    }

    @Test void refusesAnythingNotAFiniteLiteralSet() {
        for (String re : List.of("a.*", "a+", "ab?", "(a|b)?", "(a|b)*", "[ab]", "a{2}", "\\d", "\\w+", "^a", "a$", "(?i)a",
                "(?<n>a)", "(?=a)", "a\\b", "\\Qa\\E", "(a|b", "a)", "\\", "\\p{L}")) {
            assertNull(RegexSet.expand(re), re);
        }
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 17; i++) big.append("(a|b)");
        assertNull(RegexSet.expand(big.toString()), "more than " + RegexSet.MAX + " strings");
    }

    /** The expanded set agrees with java.util.regex (as Matcher compiles it) on every string tried. */
    @Test void agreesWithTheRegexEngine() {
        Random rnd = new Random(7);
        String alphabet = "ab_.|()\\";
        int checked = 0;
        for (int k = 0; k < 20_000; k++) {
            StringBuilder re = new StringBuilder();
            int len = 1 + rnd.nextInt(9);
            for (int i = 0; i < len; i++) re.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            Pattern p;
            try {
                p = Pattern.compile("(?:" + re + ")", Pattern.DOTALL);
            } catch (RuntimeException e) {
                continue;
            }
            List<String> s = RegexSet.expand(re.toString());
            if (s == null) continue;
            checked++;
            for (String x : s) assertTrue(p.matcher(x).matches(), re + " should match " + x);
            List<String> probes = new ArrayList<>(s);
            for (int i = 0; i < 30; i++) {
                StringBuilder x = new StringBuilder();
                int n = rnd.nextInt(5);
                for (int j = 0; j < n; j++) x.append("ab_.|()".charAt(rnd.nextInt(7)));
                probes.add(x.toString());
            }
            for (String x : probes) assertEquals(p.matcher(x).matches(), s.contains(x), re + " on " + x);
        }
        assertTrue(checked > 1000, "too few expandable regexes tried: " + checked);
    }

    @Test void matcherUsesTheSet() {
        Matcher m = Matcher.re("hostname", "host_(0|1)");
        assertEquals(Set.of("host_0", "host_1"), new HashSet<>(m.setMatches()));
        assertTrue(m.matches("host_1"));
        assertTrue(!m.matches("host_2"));
        assertTrue(Matcher.nre("hostname", "host_(0|1)").matches("host_2"));
        assertNull(Matcher.re("hostname", "host_.*").setMatches());
        assertNull(Matcher.eq("hostname", "host_1").setMatches());
    }
}
