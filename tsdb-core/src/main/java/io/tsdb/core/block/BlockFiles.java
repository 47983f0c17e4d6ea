package io.tsdb.core.block;

import io.tsdb.core.fs.FileLayer;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * File-system helpers for durable writes (blocks, tombstones, snapshots). The block writers, compaction and block
 * deletion go through a {@link FileLayer} (see {@code TsdbOptions.fileLayer}); the path-only helpers here use
 * {@link FileLayer#SYSTEM}.
 */
public final class BlockFiles {
    private BlockFiles() {}

    public static void fsyncFile(Path p) throws IOException {
        FileLayer.SYSTEM.fsyncFile(p);
    }

    /** fsync of a directory (makes created/renamed entries durable on Linux). */
    public static void fsyncDir(Path dir) throws IOException {
        FileLayer.SYSTEM.fsyncDirectory(dir);
    }

    public static void deleteRecursively(Path p) throws IOException {
        deleteRecursively(FileLayer.SYSTEM, p);
    }

    static void deleteRecursively(FileLayer fs, Path p) throws IOException {
        fs.deleteRecursively(p);
    }

    /**
     * Recreates the directory tree {@code src} under {@code dst} with hard links to its files (except those named
     * {@code skip}), fsyncing every directory created.
     */
    static void linkTree(Path src, Path dst, String skip) throws IOException {
        Files.createDirectories(dst);
        List<Path> dirs = new ArrayList<>();
        Files.walkFileTree(src, new SimpleFileVisitor<>() {
            @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                Path t = dst.resolve(src.relativize(d).toString());
                Files.createDirectories(t);
                dirs.add(t);
                return FileVisitResult.CONTINUE;
            }
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                if (!f.getFileName().toString().equals(skip)) Files.createLink(dst.resolve(src.relativize(f).toString()), f);
                return FileVisitResult.CONTINUE;
            }
        });
        for (Path d : dirs) fsyncDir(d);
    }

    static long sizeRecursively(Path p) throws IOException {
        if (!Files.exists(p)) return 0;
        try (var s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> {
                try { return Files.size(f); } catch (IOException e) { return 0; }
            }).sum();
        }
    }
}
