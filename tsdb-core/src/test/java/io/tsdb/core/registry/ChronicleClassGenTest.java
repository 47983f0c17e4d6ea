package io.tsdb.core.registry;

import org.junit.jupiter.api.Test;

import java.security.CodeSource;

import static org.junit.jupiter.api.Assertions.*;

/** The build put Chronicle's value classes on the class path, so opening a map compiles nothing at run time. */
class ChronicleClassGenTest {
    @Test
    void nativeValueClassesComeFromTheBuildNotFromRuntimeCompilation() throws Exception {
        for (String name : ChronicleClassGen.VALUE_INTERFACES) {
            Class<?> iface = Class.forName(name);
            // Ask the class loader directly, as Chronicle Values does before it falls back to javac.
            Class<?> impl = iface.getClassLoader().loadClass(name + "$$Native");
            assertTrue(iface.isAssignableFrom(impl), impl + " implements " + iface);
            CodeSource src = impl.getProtectionDomain().getCodeSource();
            assertNotNull(src, "a class compiled at run time has no code source");
            String where = src.getLocation().toString();
            assertTrue(where.contains("tsdb-core"), "loaded from " + where);
        }
    }
}
