package io.tsdb.core.fs;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Holds every open and rename of a file whose name starts with a prefix (e.g. the registry's first tier,
 * {@code series-00}) until {@link #release}; {@link #reached} counts down when the first such operation begins.
 * For tests of work that runs in the background while something else goes on.
 */
public final class GatedFileLayer extends ForwardingFileLayer {
    public final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch gate = new CountDownLatch(1);
    private final String prefix;

    public GatedFileLayer(String prefix) {
        super(FileLayer.SYSTEM);
        this.prefix = prefix;
    }

    @Override public FileChannel open(Path file, OpenOption... options) throws IOException {
        if (file.getFileName().toString().startsWith(prefix)) awaitGate();
        return super.open(file, options);
    }

    @Override public void rename(Path source, Path target) throws IOException {
        if (source.getFileName().toString().startsWith(prefix)) awaitGate();
        super.rename(source, target);
    }

    private void awaitGate() throws IOException {
        reached.countDown();
        try {
            gate.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException();
        }
    }

    /** Lets the held operations and all later ones through. */
    public void release() { gate.countDown(); }
}
