package io.tsdb.core;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The data directory cannot be used because of its file system, not because of a bug: it is read-only, access is
 * denied, or there is no space left. An operator's condition: servers report it in one line, without a stack
 * trace. {@link #classify} turns the I/O error of opening storage into one when it is such a condition.
 */
public final class StorageUnavailableException extends IOException {
    public StorageUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    /** A {@code StorageUnavailableException} explaining {@code e} for the data directory {@code dataDir}, or null. */
    public static StorageUnavailableException classify(Path dataDir, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StorageUnavailableException s) return s;
            String what = t instanceof FileSystemException f && f.getFile() != null ? f.getFile() : null;
            String reason = t instanceof FileSystemException f ? f.getReason() : t.getMessage();
            String where = what != null ? " (" + what + ")" : "";
            if (t instanceof java.nio.file.ReadOnlyFileSystemException || reason != null && reason.contains("Read-only file system"))
                return new StorageUnavailableException("the data directory " + dataDir + " is on a read-only file system" + where
                        + ": remount it read-write, or start with another --data", e);
            if (t instanceof AccessDeniedException || reason != null && reason.contains("Permission denied"))
                return new StorageUnavailableException("no permission to write in the data directory " + dataDir + where
                        + ": give the server's user write access, or start with another --data", e);
            if (reason != null && (reason.contains("No space left on device") || reason.contains("Disk quota exceeded")))
                return new StorageUnavailableException("no space left on the device of the data directory " + dataDir + where
                        + " (" + reason + "): free some space, then start again", e);
        }
        return null;
    }
}
