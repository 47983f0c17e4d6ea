package io.tsdb.server.rules.template;

import io.tsdb.server.rules.template.GoValues.GoMap;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The template engine against Go's text/template semantics: each expected output is what Go 1.2x prints for the
 * same template and data (syntax, scoping, truth, comparison, printing, errors at parse time and at run time).
 */
class TemplateTest {
    static final Funcs F = Funcs.builtins();

    static GoMap labels(String... kv) {
        TreeMap<String, Object> m = new TreeMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return new GoMap(m, "", "map[string]string");
    }

    static String run(String text, Object data) throws TemplateException {
        return Template.parse("t", text, F).execute(data, null);
    }

    static String parseError(String text) {
        TemplateException e = assertThrows(TemplateException.class, () -> Template.parse("t", text, F));
        return e.getMessage();
    }

    static String execError(String text, Object data) {
        TemplateException e = assertThrows(TemplateException.class, () -> run(text, data));
        return e.getMessage();
    }

    @Test
    void textAndFields() throws Exception {
        GoMap d = new GoMap(new TreeMap<>(Map.of("Labels", labels("job", "api", "instance", "h:1"), "Value", 1.5)), null, "map");
        assertEquals("plain", run("plain", d));
        assertEquals("api on h:1", run("{{ .Labels.job }} on {{.Labels.instance}}", d));
        assertEquals("x", run("x{{ .Labels.missing }}", d));           // missingkey=zero on map[string]string
        assertEquals("1.5", run("{{ .Value }}", d));
        assertEquals("<no value>", run("{{ .Nope }}", d));              // nil in map[string]interface{}
        assertEquals("map[instance:h:1 job:api]", run("{{ .Labels }}", d));
    }

    @Test
    void trimMarkersAndComments() throws Exception {
        assertEquals("a,b", run("a  {{- \",\" -}}  \n b", null));
        assertEquals("ab", run("a{{/* a comment */}}b", null));
        assertEquals("ab", run("a  {{- /* trimmed */ -}}  b", null));
        assertEquals("a-3", run("a{{ -3 }}", null));                      // a minus sign, not a trim marker
        assertEquals("3", run("{{3 -}} ", null));
    }

    @Test
    void variablesAndScoping() throws Exception {
        assertEquals("5", run("{{ $x := 5 }}{{ $x }}", null));
        assertEquals("2", run("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", null));
        assertEquals("in:1 out:0", run("{{ $x := 0 }}{{ if true }}{{ $x := 1 }}in:{{ $x }}{{ end }} out:{{ $x }}", null));
        assertEquals("1", run("{{ $x := 0 }}{{ if true }}{{ $x = 1 }}{{ end }}{{ $x }}", null));
        assertTrue(parseError("{{ $label.foo }}").contains("undefined variable \"$label\""));
        assertTrue(parseError("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}").contains("undefined variable \"$y\""));
        assertTrue(parseError("{{ $y = 1 }}").contains("undefined variable \"$y\""));
        assertEquals("root", run("{{ with \"x\" }}{{ $ }}{{ end }}", "root"));
    }

    @Test
    void ifElseChains() throws Exception {
        String t = "{{ if gt . 10.0 }}big{{ else if gt . 5.0 }}mid{{ else }}small{{ end }}";
        assertEquals("big", run(t, 11.0));
        assertEquals("mid", run(t, 6.0));
        assertEquals("small", run(t, 1.0));
        // truth: zero values are false
        assertEquals("F", run("{{ if . }}T{{ else }}F{{ end }}", 0.0));
        assertEquals("F", run("{{ if . }}T{{ else }}F{{ end }}", ""));
        assertEquals("F", run("{{ if . }}T{{ else }}F{{ end }}", null));
        assertEquals("F", run("{{ if . }}T{{ else }}F{{ end }}", List.of()));
        assertEquals("T", run("{{ if . }}T{{ else }}F{{ end }}", "x"));
        assertEquals("T", run("{{ if and 1 \"a\" }}T{{ end }}", null));
        assertEquals("0", run("{{ and 1 0 2 }}", null));
        assertEquals("b", run("{{ or \"\" \"b\" }}", null));
        assertEquals("true", run("{{ not 0 }}", null));
        // with changes dot, else when empty
        assertEquals("x!", run("{{ with . }}{{ . }}!{{ else }}none{{ end }}", "x"));
        assertEquals("none", run("{{ with . }}{{ . }}!{{ else }}none{{ end }}", ""));
        assertEquals("v=3", run("{{ with $v := 3 }}v={{ $v }}{{ end }}", null));
    }

    @Test
    void rangeOverMapsListsAndInts() throws Exception {
        GoMap m = labels("b", "2", "a", "1", "c", "3");
        assertEquals("a=1;b=2;c=3;", run("{{ range $k, $v := . }}{{ $k }}={{ $v }};{{ end }}", m));
        assertEquals("123", run("{{ range . }}{{ . }}{{ end }}", m));
        assertEquals("0:x 1:y ", run("{{ range $i, $e := . }}{{ $i }}:{{ $e }} {{ end }}", List.of("x", "y")));
        assertEquals("empty", run("{{ range . }}{{ . }}{{ else }}empty{{ end }}", List.of()));
        assertEquals("ab", run("{{ range . }}{{ if eq . \"c\" }}{{ break }}{{ end }}{{ . }}{{ end }}", List.of("a", "b", "c", "d")));
        assertEquals("ac", run("{{ range . }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", List.of("a", "b", "c")));
        assertEquals("012", run("{{ range 3 }}{{ . }}{{ end }}", null));
        assertTrue(parseError("{{ break }}").contains("{{break}} outside {{range}}"));
        // the element variable is scoped to the loop
        assertTrue(parseError("{{ range $e := . }}{{ end }}{{ $e }}").contains("undefined variable \"$e\""));
    }

    @Test
    void pipelinesAndParentheses() throws Exception {
        assertEquals("\"hi\"", run("{{ \"hi\" | printf \"%q\" }}", null));
        assertEquals("a b", run("{{ printf \"%s %s\" \"a\" \"b\" }}", null));
        assertEquals("3", run("{{ len (printf \"%s\" \"abc\") }}", null));
        assertEquals("1", run("{{ (index . \"k\") }}", labels("k", "1")));
        assertEquals("2", run("{{ index . 1 }}", List.of("1", "2")));
        assertEquals("bc", run("{{ slice \"abcd\" 1 3 }}", null));
        assertEquals("&lt;b&gt; &amp;", run("{{ html \"<b> &\" }}", null));
        assertEquals("a%2Fb+c", run("{{ urlquery \"a/b c\" }}", null));
        assertEquals("1 2", run("{{ print 1 2 }}", null));
        assertEquals("a1", run("{{ print \"a\" 1 }}", null));
        assertEquals("x\n", run("{{ println \"x\" }}", null));
    }

    @Test
    void comparisonsFollowGo() throws Exception {
        assertEquals("true", run("{{ eq 1 1 }}", null));
        assertEquals("true", run("{{ eq \"a\" \"b\" \"a\" }}", null));
        assertEquals("true", run("{{ lt 1.5 2.0 }}", null));
        assertEquals("true", run("{{ ge \"b\" \"a\" }}", null));
        // an int constant against a float64 value is an error in Go
        assertTrue(execError("{{ gt . 100 }}", 150.0).contains("incompatible types for comparison"));
        assertEquals("true", run("{{ gt . 100.0 }}", 150.0));
        assertEquals("true", run("{{ eq . 1.0 }}", 1.0));
        assertEquals("false", run("{{ ne 'a' 97 }}", null)); // a character constant is an int
    }

    @Test
    void numberLiterals() throws Exception {
        assertEquals("255 8 1000 0.5 -2", run("{{ 0xff }} {{ 010 }} {{ 1e3 }} {{ .5 }} {{ -2 }}", null));
        assertEquals("1.5 2", run("{{ printf \"%v %v\" 1.5 2 }}", null));
        assertEquals("a\tb", run("{{ \"a\\tb\" }}", null));
        assertEquals("a\\tb", run("{{ `a\\tb` }}", null));
    }

    @Test
    void printfVerbs() throws Exception {
        assertEquals("3.14", run("{{ printf \"%.2f\" 3.14159 }}", null));
        assertEquals("1.235e+05", run("{{ printf \"%.4g\" 123456.0 }}", null));
        assertEquals("  42|42   |00042", run("{{ printf \"%4d|%-5d|%05d\" 42 42 42 }}", null));
        assertEquals("%!d(string=x)", run("{{ printf \"%d\" \"x\" }}", null));
        assertEquals("%!s(MISSING)", run("{{ printf \"%s\" }}", null));
        assertEquals("a%!(EXTRA int=1)", run("{{ printf \"a\" 1 }}", null));
        assertEquals("+1.5", run("{{ printf \"%+v\" 1.5 }}", null));
        assertEquals("1e+06 100000 1e-05 0.0001", run("{{ 1000000.0 }} {{ 100000.0 }} {{ 0.00001 }} {{ 0.0001 }}", null));
        assertEquals("ff FF 0xff", run("{{ printf \"%x %X %#x\" 255 255 255 }}", null));
        assertEquals("6869", run("{{ printf \"%x\" \"hi\" }}", null));
        assertEquals("NaN NaN", run("{{ printf \"%v %v\" . . }}", Double.NaN));
        assertEquals("+Inf -Inf", run("{{ printf \"%v\" . }} {{ printf \"%.2f\" -1e400 }}", Double.POSITIVE_INFINITY));
    }

    @Test
    void goFloatRounding() {
        assertEquals("2.5", GoFmt.formatFloat(2.5, 'g', 4));
        assertEquals("0.1235", GoFmt.formatFloat(0.12345, 'g', 4)); // 0.12345 is stored slightly above .12345
        assertEquals("2", GoFmt.formatFloat(2.5, 'f', 0));         // half to even
        assertEquals("4", GoFmt.formatFloat(3.5, 'f', 0));
        assertEquals("1e+21", GoFmt.formatFloat(1e21, 'g', -1));
        assertEquals("1.000000e+00", GoFmt.formatFloat(1, 'e', 6));
        assertEquals("100", GoFmt.formatFloat(100, 'g', 4));
        assertEquals("1e+04", GoFmt.formatFloat(10000, 'g', 4));
        assertEquals("-0.5", GoFmt.formatFloat(-0.5, 'g', 4));
        assertEquals("0", GoFmt.formatFloat(0, 'g', 4));
    }

    @Test
    void parseErrorsNameTemplateAndLine() {
        assertEquals("template: t:1: function \"nope\" not defined", parseError("{{ nope 1 }}"));
        assertTrue(parseError("{{ if true }}x").contains("unexpected EOF"));
        assertTrue(parseError("a\n{{ end }}").startsWith("template: t:2: unexpected {{end}}"));
        assertTrue(parseError("{{ \"x\" ").contains("unclosed action"));
        assertTrue(parseError("{{ define \"x\" }}{{ end }}").contains("not supported"));
        assertTrue(parseError("{{ }}").contains("missing value"));
        assertTrue(parseError("{{ 1 | 2 }}").contains("non executable command"));
        assertTrue(parseError("{{ \"abc }}").contains("unterminated quoted string"));
    }

    @Test
    void execErrorsNamePositionAndNode() {
        String e = execError("ab{{ index . 5 }}", List.of());
        assertTrue(e.startsWith("template: t:1:5: executing \"t\" at <index>: error calling index: index out of range: 5"), e);
        assertTrue(execError("{{ .x.y }}", labels("x", "1")).contains("can't evaluate field y in type string"));
        assertTrue(execError("{{ 1 2 }}", null).contains("can't give argument to non-function 1"));
    }

    @Test
    void customFunctionsAndContext() throws Exception {
        Funcs f = F.with(Map.of("ctx", (a, c) -> "ctx=" + c, "twice", (a, c) -> GoFmt.format(a.get(0)) + GoFmt.format(a.get(0))));
        assertEquals("ctx=42 abab", Template.parse("t", "{{ ctx }} {{ \"ab\" | twice }}", f).execute(null, 42));
        // a function name used as an argument is called without arguments
        assertEquals("ctx=7ctx=7", Template.parse("t", "{{ twice ctx }}", f).execute(null, 7));
    }
}
