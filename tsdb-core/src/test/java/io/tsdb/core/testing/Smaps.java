package io.tsdb.core.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** This process' resident memory per mapped file, from Linux's {@code /proc/self/smaps}. */
public final class Smaps {
    public static final Path FILE = Path.of("/proc/self/smaps");

    private Smaps() {}

    /** Whether {@code /proc/self/smaps} can be read (Linux). */
    public static boolean available() { return Files.isReadable(FILE); }

    /** Resident kilobytes of every mapping of {@code file} in this process. */
    public static long residentKb(Path file) throws IOException {
        String name = file.toAbsolutePath().toString();
        long kb = 0;
        boolean in = false;
        for (String l : Files.readAllLines(FILE)) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) in = l.endsWith(name);
            else if (in && l.startsWith("Rss:")) kb += Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return kb;
    }
}
