package io.tsdb.core.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;

/** A {@link FileLayer} that forwards every call to another one; subclasses override what they instrument (tests). */
public class ForwardingFileLayer implements FileLayer {
    private final FileLayer delegate;

    public ForwardingFileLayer(FileLayer delegate) { this.delegate = delegate; }

    @Override public void crashPoint(String name) { delegate.crashPoint(name); }

    @Override public FileChannel open(Path file, OpenOption... options) throws IOException { return delegate.open(file, options); }

    @Override public void rename(Path source, Path target) throws IOException { delegate.rename(source, target); }

    @Override public void replace(Path source, Path target) throws IOException { delegate.replace(source, target); }

    @Override public void delete(Path path) throws IOException { delegate.delete(path); }

    @Override public void createDirectories(Path dir) throws IOException { delegate.createDirectories(dir); }

    @Override public void fsyncDirectory(Path dir) throws IOException { delegate.fsyncDirectory(dir); }
}
