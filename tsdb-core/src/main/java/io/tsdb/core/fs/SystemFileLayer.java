package io.tsdb.core.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/** {@link FileLayer} over the real file system ({@link FileLayer#SYSTEM}). */
final class SystemFileLayer implements FileLayer {
    private static final boolean WINDOWS = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win");

    @Override public FileChannel open(Path file, OpenOption... options) throws IOException {
        return FileChannel.open(file, options);
    }

    @Override public void rename(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override public void replace(Path source, Path target) throws IOException {
        Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override public void delete(Path path) throws IOException {
        Files.delete(path);
    }

    @Override public void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir);
    }

    @Override public void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Windows cannot open a directory; durability of its entries then rests on the OS. Everywhere
            // else a failure is real and reported.
            if (!WINDOWS) throw e;
        }
    }

    @Override public String toString() { return "FileLayer.SYSTEM"; }
}
