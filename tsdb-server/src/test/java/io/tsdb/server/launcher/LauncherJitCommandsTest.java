package io.tsdb.server.launcher;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The launcher's {@code -XX:CompileCommand=dontinline,Class::method} commands name methods by string, and the JVM
 * ignores (quietly, with {@code CompileCommand=quiet}) one whose method no longer exists: a rename would silently
 * bring back the large compilations they avoid (docs/benchmarks.md, "Ingest CPU: the JIT's share").
 */
class LauncherJitCommandsTest {
    private static final Pattern COMMAND = Pattern.compile("dontinline,([\\w.]+)::(\\$m|\\w+)");
    private static final Pattern LOOP = Pattern.compile("for m in ([^;]*); do", Pattern.DOTALL);

    /** The class and method names of every dontinline command in the launcher script. */
    static List<String[]> commands(String script) {
        Matcher loop = LOOP.matcher(script);
        List<String> loopMethods = loop.find()
                ? Arrays.asList(loop.group(1).replace("\\\n", " ").trim().split("\\s+")) : List.of();
        List<String[]> out = new ArrayList<>();
        Matcher m = COMMAND.matcher(script);
        while (m.find()) {
            if (m.group(2).equals("$m")) {
                for (String name : loopMethods) out.add(new String[]{m.group(1), name});
            } else {
                out.add(new String[]{m.group(1), m.group(2)});
            }
        }
        return out;
    }

    @Test void everyMethodTheLauncherKeepsFromInliningExists() throws IOException, ClassNotFoundException {
        String script = Files.readString(Path.of("src/main/dist/tsdb"));
        List<String[]> commands = commands(script);
        assertTrue(commands.size() >= 10, "expected the chunk codec's helpers among the commands, got " + commands.size());
        for (String[] c : commands) {
            Class<?> cls = Class.forName(c[0]);
            boolean found = false;
            for (Method method : cls.getDeclaredMethods()) found |= method.getName().equals(c[1]);
            assertTrue(found, "the launcher keeps " + c[0] + "::" + c[1] + " from inlining, but " + c[0] + " has no method " + c[1]);
        }
    }

    @Test void aLoopOfMethodNamesExpandsToOneCommandPerName() {
        String script = "for m in a b \\\n         c; do\n    jit=\"$jit -XX:CompileCommand=dontinline,x.Y::$m\"\ndone\n"
                + "jit=\"$jit -XX:CompileCommand=dontinline,x.Z::d\"\n";
        List<String[]> c = commands(script);
        assertEquals(4, c.size());
        assertArrayEquals(new String[]{"x.Y", "c"}, c.get(2));
        assertArrayEquals(new String[]{"x.Z", "d"}, c.get(3));
    }
}
