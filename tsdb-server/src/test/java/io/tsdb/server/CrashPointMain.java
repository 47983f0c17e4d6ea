package io.tsdb.server;

import io.tsdb.core.fs.FileLayer;
import io.tsdb.core.fs.ForwardingFileLayer;

/**
 * The server's {@link Main} with a crash at a chosen point (system property {@code tsdb.test.crashAt}, a
 * {@link FileLayer#crashPoint} name): the storage runs on a file layer that, when storage code reaches that point,
 * halts the process at once with status 137 (no shutdown hooks, no flush, as after kill -9). For crash tests that
 * need a kill between two particular disk operations.
 */
public final class CrashPointMain {
    private CrashPointMain() {}

    public static void main(String[] args) throws Exception {
        String at = System.getProperty("tsdb.test.crashAt");
        FileLayer fs = at == null ? FileLayer.SYSTEM : new ForwardingFileLayer(FileLayer.SYSTEM) {
            @Override public void crashPoint(String name) {
                if (name.equals(at)) {
                    System.out.println("{\"msg\":\"crash point " + name + " reached: halting\"}");
                    System.out.flush();
                    Runtime.getRuntime().halt(137);
                }
            }
        };
        Main.main(args, Defaults.storage(fs));
    }
}
