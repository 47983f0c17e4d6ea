package io.tsdb.core.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The storage engine's one door to the file system for everything it changes on disk: files are opened
 * here (writes, fsyncs and truncations then go through the returned channel), and directories are created,
 * renamed, deleted and fsynced here. Reading directory listings and file sizes goes straight to
 * {@link Files}.
 *
 * <p>Passed in through {@code TsdbOptions.fileLayer} (no global state): production uses {@link #SYSTEM};
 * tests pass a fault-injecting implementation that fails writes, fsyncs, renames and deletes at chosen
 * points and models what a power loss keeps (tsdb-core's test sources: {@code FaultInjectingFileLayer}).
 *
 * <p>Contract every implementation keeps: {@link #rename} is atomic; {@link #fsyncDirectory} makes the entries created, renamed and deleted in that directory durable, and an
 * error from it is reported (never swallowed: a directory fsync that fails means those entries may not
 * survive a crash).
 */
public interface FileLayer {
    /** The real file system. */
    FileLayer SYSTEM = new SystemFileLayer();

    /**
     * A named point inside a multi-step disk operation (a block rewrite, a snapshot: {@code rewrite.written},
     * {@code rewrite.swapped}, {@code snapshot.blocksLinked}, {@code snapshot.headWritten},
     * {@code snapshot.registryCopied}), where a crash test's file layer can stop the process (e.g. with
     * {@code Runtime.halt}) to prove that a restart finds either the old or the new state. Nothing in production.
     */
    default void crashPoint(String name) { }

    /** As {@link FileChannel#open(Path, OpenOption...)}. */
    FileChannel open(Path file, OpenOption... options) throws IOException;

    /**
     * Atomic rename of a file or directory. Callers make sure {@code target} does not exist (whether an existing
     * one is replaced is platform-specific).
     */
    void rename(Path source, Path target) throws IOException;

    /**
     * Atomic rename of a file over an existing file {@code target} (rename(2): a reader or a crash sees the old or the
     * new file, never neither); used to replace small files such as a block's tombstones.
     */
    default void replace(Path source, Path target) throws IOException { rename(source, target); }

    /** Deletes a file or an empty directory; {@link NoSuchFileException} when it does not exist. */
    void delete(Path path) throws IOException;

    /** As {@link Files#createDirectories}. */
    void createDirectories(Path dir) throws IOException;

    /** fsync of a directory: makes entries created, renamed or deleted in it durable. */
    void fsyncDirectory(Path dir) throws IOException;

    /**
     * Creates {@code dir} and any missing parents, and fsyncs the parent of each directory it created, so the new
     * directory entries survive a power loss (a directory's entry is durable only once its parent is fsynced).
     */
    default void createDirectoriesDurably(Path dir) throws IOException {
        Path d = dir.toAbsolutePath().normalize();
        java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
        for (Path p = d; p != null && !Files.isDirectory(p); p = p.getParent()) missing.push(p);
        if (missing.isEmpty()) return;
        createDirectories(d);
        while (!missing.isEmpty()) {
            Path p = missing.pop();
            if (p.getParent() != null) fsyncDirectory(p.getParent());
        }
    }

    /** Deletes a file or empty directory if it exists; returns whether it did. */
    default boolean deleteIfExists(Path path) throws IOException {
        try {
            delete(path);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** fsync of a file's data and metadata. */
    default void fsyncFile(Path file) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    /** Creates {@code file} (it must not exist), writes {@code data} and fsyncs it. */
    default void writeFileDurably(Path file, byte[] data) throws IOException {
        try (FileChannel ch = open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            writeFully(ch, ByteBuffer.wrap(data));
            ch.force(true);
        }
    }

    /** Deletes a file or a directory tree; nothing when it does not exist. */
    default void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                deleteIfExists(f);
                return FileVisitResult.CONTINUE;
            }

            @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) throw e;
                deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Writes all of {@code b} at the channel's position (looping over short writes). */
    static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
