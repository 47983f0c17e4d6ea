package io.tsdb.core.registry;

import net.openhft.chronicle.values.ValueModel;
import net.openhft.compiler.CachedCompiler;

import java.io.File;
import java.lang.reflect.Method;

/**
 * Build-time step (run by the tsdb-core build in {@code process-classes}): writes the classes Chronicle Map
 * would otherwise generate and compile with javac when the first map is opened, into the build's class
 * directory.
 *
 * <p>Chronicle Values implements value interfaces such as Chronicle Map's global header state with a class
 * named {@code <interface>$$Native}; it first asks the class loader for that class and only when it is
 * absent generates its source and compiles it in process. That compilation took about 0.8 s of every
 * start-up (1,100 javac classes loaded), most of the registry's load time. Generating the class at build
 * time with the library's own generator, from the library version on the class path, keeps it identical to
 * what the library would compile; {@code ChronicleClassGenTest} checks that the class is found on the class
 * path.
 */
public final class ChronicleClassGen {
    /** Value interfaces Chronicle Map instantiates natively when a map is created or opened. */
    static final String[] VALUE_INTERFACES = {"net.openhft.chronicle.hash.VanillaGlobalMutableState"};

    private ChronicleClassGen() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) throw new IllegalArgumentException("usage: ChronicleClassGen <class output directory>");
        File out = new File(args[0]);
        Class<?> generators = Class.forName("net.openhft.chronicle.values.Generators");
        Method gen = generators.getDeclaredMethod("generateNativeClass", ValueModel.class, String.class);
        gen.setAccessible(true);
        try (CachedCompiler compiler = new CachedCompiler(null, out)) {
            for (String name : VALUE_INTERFACES) {
                Class<?> iface = Class.forName(name);
                String simple = iface.getSimpleName() + "$$Native";
                String source = (String) gen.invoke(null, ValueModel.acquire(iface), simple);
                compiler.loadFromJava(iface.getClassLoader(), iface.getPackageName() + "." + simple, source);
                System.out.println("ChronicleClassGen: wrote " + iface.getPackageName() + "." + simple + " to " + out);
            }
        }
    }
}
