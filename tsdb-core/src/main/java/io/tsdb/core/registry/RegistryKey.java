package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import net.openhft.chronicle.algo.hashing.LongHashFunction;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.bytes.RandomDataInput;
import net.openhft.chronicle.bytes.RandomDataOutput;
import net.openhft.chronicle.hash.AbstractData;

/**
 * A label set's registry key: its encoding in the registry (version 4: label names by their codes, see
 * {@link LabelNameTable}) and the 64-bit hash of those bytes, computed once, before any lock is taken, and handed to
 * Chronicle Map as the key's {@link #hash}. A key made while one of the names had no code yet has no bytes
 * ({@link #known} false): the label set is not registered, and the registry encodes it again, adding the names, when
 * it registers it.
 *
 * <p>Why: Chronicle Map hashes a {@code byte[]} key through its generic byte access (an interface call per
 * 8 bytes through a wrapper of the array); in the profile of a burst of a million new series that was a quarter of
 * the CPU of the series-creation lock's holder (350 of 1,315 samples of {@code SeriesCatalog.getOrCreate}). The
 * registry hashes the same bytes with the same function for its {@link Fingerprints} anyway, straight from the array.
 * The bytes Chronicle stores and compares are those of {@link #bytes()}, so nothing in the files changes.
 */
public final class RegistryKey extends AbstractData<byte[]> {
    /** The key hash of Chronicle Map (the seedless xxHash r39), also the source of the registry's fingerprints. */
    static final LongHashFunction HASH = LongHashFunction.xx_r39();

    /** The label set (null for a key made from stored bytes). */
    final Labels labels;
    /** The key bytes, or null when a name of {@link #labels} had no code when the key was made. */
    final byte[] key;
    final long hash;
    private BytesStore<?, ?> store;

    RegistryKey(byte[] key) { this(null, key); }

    RegistryKey(Labels labels, byte[] key) {
        this.labels = labels;
        this.key = key;
        this.hash = key == null ? 0 : HASH.hashBytes(key);
    }

    /** Whether the key has its bytes (every name had a code when it was made). */
    boolean known() { return key != null; }

    /** The registry's 32-bit fingerprint: the 64-bit hash folded. */
    int fingerprint() { return (int) (hash ^ (hash >>> 32)); }

    @Override public RandomDataInput bytes() { return store(); }

    private BytesStore<?, ?> store() {
        BytesStore<?, ?> s = store;
        if (s == null) s = store = BytesStore.wrap(key);
        return s;
    }

    @Override public long offset() { return store().start(); }

    @Override public long size() { return key.length; }

    @Override public long hash(LongHashFunction f) { return f == HASH ? hash : f.hashBytes(key); }

    /** Copies the array straight into the entry: no wrapper of it (a reference-counted store, 6% of a burst's creation samples). */
    @Override public void writeTo(RandomDataOutput target, long targetOffset) {
        target.write(targetOffset, key, 0, key.length);
    }

    /** Compares with stored bytes (a key whose hash matched), without a wrapper of the array. */
    @Override public boolean equivalent(RandomDataInput source, long sourceOffset) {
        for (int i = 0; i < key.length; i++) if (source.readByte(sourceOffset + i) != key[i]) return false;
        return true;
    }

    @Override public byte[] get() { return key; }

    @Override public byte[] getUsing(byte[] using) {
        if (using == null || using.length != key.length) using = new byte[key.length];
        System.arraycopy(key, 0, using, 0, key.length);
        return using;
    }
}
