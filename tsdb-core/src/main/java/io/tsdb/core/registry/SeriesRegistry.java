package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import io.tsdb.core.fs.FileLayer;
import net.openhft.chronicle.map.ChronicleMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.function.IntPredicate;
import java.util.function.ObjIntConsumer;
import java.util.stream.Stream;

/**
 * Persistent map label set -> storage-wide series id, backed by Chronicle Map files whose keys name each label by a
 * code ({@link LabelNameTable}: the names are stored once, in their own file, not in every key). Ids are assigned
 * by the caller in increasing order and never reused ({@link #nextId()} survives the removal of the series that
 * held the highest ids). Thread-safe (this object's monitor; callers that also hold a creation lock take it
 * first, see {@link #retainOnly}).
 *
 * <h2>Tiers</h2>
 * A Chronicle Map is created for a fixed number of entries and lays them out over segments spread across the
 * whole (sparse) file, so a map sized for far more series than it holds dirties about one page per series.
 * The registry therefore grows by <em>tiers</em> (see {@link RegistryFormat}): tier {@code k} is sized for
 * {@code firstCapacity * 1.25^k} entries ({@link RegistryFormat#tierCapacity}), new series go to the newest tier,
 * and a full tier is followed by a new one a quarter larger. (The newest tier has all its disk blocks allocated
 * ahead; with tiers doubling, that reserve was as large as everything registered before it.) Only the newest tier stays open (memory-mapped); older tiers are <em>sealed</em> (closed,
 * their pages out of the resident set) and opened for a lookup that needs them, then closed again by
 * {@link #closeIdleTiers} once idle.
 *
 * <h2>Lookups without touching the files</h2>
 * The head holds only active series, so every series the head does not know is looked up here ({@link #get}):
 * new series (most of them, under churn) and series coming back after going quiet. An in-memory map from a
 * 32-bit hash of the label bytes to the id ({@link #fingerprints}, built when the registry is opened: read from every
 * tier, or after a clean close from the lookup file it wrote, {@link RegistryLookupFile}) answers
 * "not registered" without reading any tier, and names the one tier to probe to confirm a hit. Two label sets
 * with the same hash mark it ambiguous (a few dozen among a million series); their lookups probe every tier.
 * Memory: about 8 bytes per registered series (a sorted array of hash and id pairs, see {@link Fingerprints}):
 * the registry holds every series that still has data, not only the active ones, so this is the part of the heap
 * that follows the retained history (3.8 MB for 480,000 series; 8.4 MB with the hash map it replaced).
 *
 * <h2>Following retention</h2>
 * {@link #retainOnly} removes the series that have no data left (retention deleted the last block holding them):
 * a sealed tier with enough such series is rewritten without them under a temporary name and renamed over the
 * old file (crash-safe: either file is a complete, valid tier), so the registry's size follows the series that
 * still have data.
 */
public final class SeriesRegistry implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(SeriesRegistry.class);
    /**
     * The newest tier is closed and reopened after this many new series, which takes the pages those puts touched
     * out of the process' resident set (they stay in the page cache). A put touches a page or two of a segment
     * chosen by the key's hash, so without this the mapping's resident set grew to the whole tier as it filled
     * (25 MB of a 262,144-series tier under series churn, growing with every series ever created); reopening a
     * tier costs about a millisecond. Between two reopenings the puts touch up to one or two pages each, so this
     * bounds the tier's resident set at about 8-16 MB: with 8,192 the newest tier of a registry of 480,000 series
     * (a 111,040-series tier, 40 MiB) could keep 16-32 MB resident, more as the tiers grow; the series churn
     * benchmark saw 12 MB more file-backed RSS after generation 48 than after generation 8 with it.
     *
     * <p>During a burst of new series (these puts within {@link #REMAP_MIN_INTERVAL_NANOS}) the tier is reopened
     * after {@link #BURST_REMAP_AFTER_PUTS} puts instead: each reopening costs the puts after it their page faults
     * again, and the reopening itself; a registry-only run of 400,000 new series took 9-11 us of CPU per put with
     * 2,048, 5.5-6.7 with 8,192 and 4.4-5.2 with 16,384 puts between reopenings. A burst's resident pages are taken
     * out when the server goes quiet ({@link #releaseResidentPages}), so only its peak is larger.
     */
    static final int REMAP_AFTER_PUTS = 2048;
    /** See {@link #REMAP_AFTER_PUTS}: the puts between two reopenings of the newest tier while new series come fast. */
    static final int BURST_REMAP_AFTER_PUTS = 16_384;
    /** See {@link #REMAP_AFTER_PUTS}: puts coming faster than {@code REMAP_AFTER_PUTS} in this time are a burst. */
    static final long REMAP_MIN_INTERVAL_NANOS = 1_000_000_000L;
    /** A sealed tier opened for lookups is closed after this long without one. */
    static final long IDLE_TIER_NANOS = 10_000_000_000L;

    static {
        // Chronicle Core binds POSIX calls through jnr-ffi when its Jvm class initialises, which generates native
        // stubs: about a third of a server start. The registry needs none of those calls (its files are sparse,
        // so nothing is fallocated, and it never msyncs), so Chronicle gets its no-op binding instead.
        net.openhft.posix.internal.PosixAPIHolder.useNoOpPosixApi();
    }

    final Path dir;
    private final long firstCapacity;
    final List<RegistryTier> tiers = new ArrayList<>();
    /** Hash of the label bytes -> the series ids registered with it (see {@link Fingerprints}). */
    final Fingerprints fingerprints = new Fingerprints();
    private int nextId;
    /** Whether the last close was clean (the tiers were not recovered), and the next id found at open. */
    private boolean openedClean;
    private int nextIdAtOpen;
    volatile boolean closed;
    /** Called at each step of a tier rewrite with the step's name (crash tests halt the process there). */
    volatile java.util.function.Consumer<String> rewriteHook = step -> { };

    /** Every file the registry writes outside its mappings (tier creation and rewrites, markers, copies). */
    final FileLayer fs;
    /** The label names' codes of the keys (version 4); set by {@link #open}. */
    private LabelNameTable names;

    private SeriesRegistry(FileLayer fs, Path dir, long firstCapacity) {
        this.fs = fs;
        this.dir = dir;
        this.firstCapacity = firstCapacity;
    }

    /**
     * Opens or creates the registry in {@code dir}; {@code firstCapacity} sizes the first tier (each later tier
     * is a quarter larger). Reads every tier once to build the lookup map, unless the last clean close left its
     * lookup file ({@link RegistryLookupFile}) and the tiers are as it describes them. A version 1 registry (one map) found in
     * {@code dir} is migrated into tiers.
     */
    public static SeriesRegistry open(Path dir, long firstCapacity) throws IOException {
        return open(FileLayer.SYSTEM, dir, firstCapacity);
    }

    /**
     * As {@link #open(Path, long)}, writing files through {@code fs} (what goes through the tiers' mappings
     * cannot: their disk blocks are allocated when a tier is created, see {@link RegistryTier#createAllocated}).
     */
    public static SeriesRegistry open(FileLayer fs, Path dir, long firstCapacity) throws IOException {
        var step = io.tsdb.core.StartupSteps.begin("registry-open");
        fs.createDirectoriesDurably(dir);
        Path clean = dir.resolve(RegistryFormat.CLEAN_MARKER);
        boolean wasClean = Files.exists(clean);
        SeriesRegistry r = new SeriesRegistry(fs, dir, Math.max(1024, firstCapacity));
        try {
            r.removeTemporaries();
            Path legacy = dir.resolve(RegistryFormat.LEGACY_FILE_NAME);
            boolean rewriteKeys = !Files.exists(legacy) && RegistryKeyMigration.needed(dir);
            // the marker before the names file: a names file without it says every tier is at version 4
            if (rewriteKeys) RegistryKeyMigration.begin(fs, dir);
            r.names = LabelNameTable.open(fs, dir);
            if (Files.exists(legacy)) {
                awaitChronicle();
                r.migrate(legacy, wasClean);
            } else if (rewriteKeys) {
                awaitChronicle();
                RegistryKeyMigration.run(fs, dir, r.names, r.firstCapacity, !wasClean);
                r.openTiers(true);   // every tier was just written and fsynced; no lookup file
            } else {
                r.openTiers(wasClean);
            }
            r.sealOlderTiers();
            r.openedClean = wasClean;
            r.nextIdAtOpen = r.nextId;
        } catch (IOException | RuntimeException e) {
            r.abandon();
            throw e;
        }
        // the lookup file describes the tiers as the clean close left them: never again once this open may write them
        fs.deleteIfExists(dir.resolve(RegistryLookupFile.FILE_NAME));
        fs.deleteIfExists(clean);
        step.end();
        return r;
    }

    /** Waits for a started Chronicle preload: Chronicle's classes are initialised by one thread at a time ({@link ChroniclePreload}). */
    private static void awaitChronicle() {
        var wait = io.tsdb.core.StartupSteps.begin("registry-await-chronicle");
        ChroniclePreload.await();
        wait.end();
    }

    private void removeTemporaries() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (p.getFileName().toString().endsWith(RegistryFormat.TMP_SUFFIX)) {
                    log.warn("series registry: removing {} (a tier rewrite interrupted by a crash; the old tier is intact)", p);
                    fs.delete(p);
                }
            }
        }
    }

    private void openTiers(boolean wasClean) throws IOException {
        TreeMap<Integer, Path> found = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                int k = RegistryFormat.tierIndex(p.getFileName().toString());
                if (k >= 0) found.put(k, p);
            });
        }
        int expected = 0;
        if (!found.isEmpty()) awaitChronicle();
        RegistryLookupFile.Content lookup = wasClean ? RegistryLookupFile.readMatching(dir, found) : null;
        for (var e : found.entrySet()) {
            if (e.getKey() != expected)
                throw new IOException("series registry " + dir + " lacks tier file " + RegistryFormat.tierFileName(expected)
                        + " (found " + e.getValue().getFileName() + "); the registry is damaged");
            RegistryTier t = new RegistryTier(expected, e.getValue());
            if (lookup != null && !e.getKey().equals(found.lastKey())) {   // a sealed tier: described by the lookup file
                t.describedBy(lookup.tiers().get(expected));
                tiers.add(t);
                expected++;
                continue;
            }
            if (e.getKey().equals(found.lastKey()) && !Files.exists(RegistryTier.allocatedMarker(t.file))) {
                // the newest tier takes new series: its blocks must be allocated (a tier written by an earlier build
                // is sparse); done once, before the map is opened
                long t0 = System.nanoTime();
                long size = RegistryTier.allocate(fs, t.file);
                fs.writeFileDurably(RegistryTier.allocatedMarker(t.file), new byte[0]);
                fs.fsyncDirectory(dir);
                log.info("series registry: allocated the blocks of the newest tier {} ({} MiB) in {} ms", t.file.getFileName(),
                        size >> 20, (System.nanoTime() - t0) / 1_000_000);
            }
            t.open(RegistryFormat.tierCapacity(firstCapacity, expected), !wasClean);
            tiers.add(t);
            if (lookup == null) {
                scan(t);
            } else if (t.map().longSize() == lookup.tiers().get(expected).entries()) {
                t.describedBy(lookup.tiers().get(expected));
                openedFromLookup = true;
                fingerprints.addAll(lookup.pairs(), lookup.pairs().length);
                nextId = Math.max(nextId, lookup.nextId());
            } else {
                log.info("series registry {}: the lookup file does not match tier {} ({} entries, it says {}); reading the tiers",
                        dir, t.file.getFileName(), t.map().longSize(), lookup.tiers().get(expected).entries());
                for (RegistryTier s : tiers) {
                    s.describedBy(null);
                    mapOf(s);
                    scan(s);
                }
            }
            expected++;
        }
        if (tiers.isEmpty()) createFirstTierInBackground();
    }

    /**
     * The first tier of a new registry, while it is being created on a thread of its own ({@code tsdb-registry-create}),
     * or null once it is in {@link #tiers}. A new registry holds no series, so until its first put nothing needs a
     * tier: lookups answer "not registered" from {@link #fingerprints} alone. Creating the tier is Chronicle Map's
     * first use in the process (its classes' initialisation and the map's creation, most of a first start's storage
     * open), so a first start no longer waits for it before it is ready; the first put, and everything else that
     * reads the tiers, waits for it instead ({@link #firstTier()}), so nothing is registered before the tier is
     * durable. The free-space check runs before (an {@code IOException} from {@link #open}, as before); a failure of
     * the creation itself (the disk filled meanwhile) is logged and thrown by every put.
     */
    private java.util.concurrent.CompletableFuture<RegistryTier> pendingFirstTier;

    private void createFirstTierInBackground() throws IOException {
        RegistryTier t = new RegistryTier(0, dir.resolve(RegistryFormat.tierFileName(0)));
        long capacity = RegistryFormat.tierCapacity(firstCapacity, 0);
        RegistryTier.checkFreeSpace(dir, t.file);
        // the preload initialises Chronicle's classes unless one runs already (this thread then waits for it)
        Runnable preload = ChroniclePreload.start();
        java.util.concurrent.CompletableFuture<RegistryTier> f = new java.util.concurrent.CompletableFuture<>();
        Thread th = new Thread(() -> {
            try {
                if (preload != null) preload.run();
                ChroniclePreload.await();
                Runnable hook = firstTierHookForTesting;
                if (hook != null) hook.run();
                if (!firstTierState.compareAndSet(FIRST_TIER_WAITING, FIRST_TIER_CREATING)) {
                    f.completeExceptionally(new IOException("series registry closed before its first tier was created"));
                    return;
                }
                var step = io.tsdb.core.StartupSteps.begin("registry-first-tier");
                RegistryTier.createAllocated(fs, t.file, 0, capacity, RegistryFormat.FIRST_TIER_KEY_BYTES, m -> { });   // no key seen yet
                t.open(capacity, false);
                step.end();
                f.complete(t);
            } catch (Throwable e) {
                log.error("series registry {}: cannot create its first tier: {}", dir, e.toString());
                f.completeExceptionally(e);
            }
        }, "tsdb-registry-create");
        th.setDaemon(true);
        pendingFirstTier = f;
        th.start();
    }

    /**
     * Waits for the first tier of a new registry to be created (caller holds this object's monitor; at once once it
     * is in {@link #tiers}).
     * @throws IOException when it could not be created; the next call tries again
     */
    private void firstTier() throws IOException {
        java.util.concurrent.CompletableFuture<RegistryTier> f = pendingFirstTier;
        if (f == null) return;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    tiers.add(f.get());
                    pendingFirstTier = null;
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (java.util.concurrent.ExecutionException e) {
                    pendingFirstTier = null;
                    if (!closed) {
                        // a later put tries again, on this thread (Chronicle is initialised by now, or never will be)
                        createFirstTierAgain = true;
                    }
                    Throwable c = e.getCause();
                    throw new IOException("cannot create series registry tier 0 in " + dir + ": " + c.getMessage(), c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    /**
     * Whether the first tier's creation has begun: a close before it (a start that failed after the storage opened,
     * while the server's preload of Chronicle waits for the start's end) cancels it instead of waiting for it.
     */
    private final java.util.concurrent.atomic.AtomicInteger firstTierState = new java.util.concurrent.atomic.AtomicInteger();
    private static final int FIRST_TIER_WAITING = 0, FIRST_TIER_CREATING = 1, FIRST_TIER_CANCELLED = 2;
    /** Test hook: run by the first tier's creating thread once Chronicle is ready, before the creation begins. */
    static volatile Runnable firstTierHookForTesting;

    /** The background creation of the first tier failed: the next put creates it on its own thread. */
    private boolean createFirstTierAgain;

    /**
     * {@link #firstTier()} without an exception, for close: a tier that could not be created has nothing to close, and
     * one whose creation has not begun is cancelled (nothing was registered: a put waits for the tier).
     */
    private void firstTierIfAny() {
        if (pendingFirstTier != null && firstTierState.compareAndSet(FIRST_TIER_WAITING, FIRST_TIER_CANCELLED)) {
            pendingFirstTier = null;
            return;
        }
        try {
            firstTier();
        } catch (IOException e) {
            // logged by the creating thread
        }
    }

    /** Reads an open tier's entries into the lookup map, its id range and count, and the next id. */
    private void scan(RegistryTier t) {
        long[] n = {0};
        long[][] pairs = {new long[(int) Math.min(Integer.MAX_VALUE - 8, t.map().longSize())]};
        t.map().forEachEntry(e -> {
            byte[] k = e.key().get();
            int id = e.value().get();
            if (Arrays.equals(k, RegistryFormat.NEXT_ID_KEY)) {
                nextId = Math.max(nextId, id);
                return;
            }
            if (RegistryTier.reserved(k)) return;
            if (n[0] == pairs[0].length) pairs[0] = Arrays.copyOf(pairs[0], Math.max(16, 2 * pairs[0].length));
            pairs[0][(int) n[0]] = Fingerprints.pair(fingerprint(k), id);
            t.noteId(id);
            nextId = Math.max(nextId, id + 1);
            n[0]++;
        });
        fingerprints.addAll(pairs[0], (int) n[0]);
        t.count = n[0];
    }


    /** The in-memory hash of a label set's encoding: the 64-bit hash folded to 32 bits. */
    static int fingerprint(byte[] key) {
        long h = RegistryKey.HASH.hashBytes(key);
        return (int) (h ^ (h >>> 32));
    }

    /** Closes every tier but the newest (they are full and only read again for lookups). */
    private void sealOlderTiers() {
        for (int k = 0; k < tiers.size() - 1; k++) tiers.get(k).seal();
    }

    private RegistryTier newest() { return tiers.get(tiers.size() - 1); }

    /** The tier's map, opening a sealed tier until {@link #closeIdleTiers} closes it. */
    ChronicleMap<byte[], Integer> mapOf(RegistryTier t) throws IOException {
        if (!t.isOpen()) t.open(RegistryFormat.tierCapacity(firstCapacity, t.index), false);
        t.lastUsedNanos = System.nanoTime();
        return t.map();
    }

    /**
     * Closes sealed tiers opened for lookups and idle since {@link #IDLE_TIER_NANOS}, and gives back the unused
     * blocks of tiers sealed since the last call ({@link RegistryTier#releaseUnusedBlocks}); called periodically.
     */
    public synchronized void closeIdleTiers() {
        long now = System.nanoTime();
        for (int k = 0; k < tiers.size() - 1; k++) {
            RegistryTier t = tiers.get(k);
            if (t.isOpen() && now - t.lastUsedNanos > IDLE_TIER_NANOS) t.seal();
            if (t.releasePending && !t.isOpen()) {
                t.releasePending = false;
                RegistryTier.releaseUnusedBlocks(fs, t.file);
            }
        }
    }

    /**
     * Takes the pages that puts touched since the newest tier was last (re)opened out of the process' resident set,
     * as every {@link #REMAP_AFTER_PUTS} puts do; called when the server went quiet. Without it a registry that just
     * took a burst of new series kept up to {@code REMAP_AFTER_PUTS} puts' pages of its newest tier resident until
     * the next burst: 1 MB after generation 8 of the series churn benchmark, 9 MB after generation 48, as the tiers
     * grow (a larger tier spreads the same puts over more pages). Older tiers opened for lookups are closed too
     * (reopened when a lookup needs them). The pages stay in the page cache; reopening costs about a millisecond.
     * Returns whether a tier was closed or reopened (false: nothing was touched since the last time).
     */
    public synchronized boolean releaseResidentPages() throws IOException {
        if (closed || tiers.isEmpty()) return false;
        boolean released = false;
        for (int k = 0; k < tiers.size() - 1; k++) {   // sealed tiers opened for lookups: reopened when one needs them
            RegistryTier t = tiers.get(k);
            if (t.isOpen()) {
                t.seal();
                released = true;
            }
        }
        RegistryTier t = newest();
        if (!t.isOpen() || t.putsSinceOpen == 0) return released;
        t.seal();
        t.open(RegistryFormat.tierCapacity(firstCapacity, t.index), false);
        return true;
    }

    /** Copies a version 1 registry into fresh tiers, then deletes it (a crash midway redoes the copy). */
    private void migrate(Path legacy, boolean wasClean) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator)
                if (RegistryFormat.tierIndex(p.getFileName().toString()) >= 0) fs.delete(p);
        }
        RegistryTier first = new RegistryTier(0, dir.resolve(RegistryFormat.tierFileName(0)));
        RegistryTier.createAllocated(fs, first.file, 0, RegistryFormat.tierCapacity(firstCapacity, 0), keyHint(), m -> { });
        first.open(RegistryFormat.tierCapacity(firstCapacity, 0), false);
        tiers.add(first);
        List<byte[]> keys = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        RegistryKeyMigration.readLegacy(legacy, wasClean, keys, ids);
        for (int i = 0; i < keys.size(); i++) putEncoded(names.keyAdding(LabelsCodec.decode(keys.get(i))), ids.get(i));
        long n = keys.size();
        fs.delete(legacy);
        log.info("series registry {}: migrated {} series from format version {} into {} tier(s)", dir, n, RegistryFormat.LEGACY_VERSION, tiers.size());
    }

    /**
     * Series id of a label set, or -1. Answers "not registered" from memory; a hit is confirmed by reading the
     * one tier that holds the id (a sealed tier is opened for that).
     */
    public synchronized int get(Labels labels) {
        byte[] key = names.key(labels);
        return key == null ? -1 : get(key, fingerprint(key));   // a name without a code: never registered
    }

    /**
     * The registry key of a label set, encoded and hashed by the caller's thread (before any lock); without its bytes
     * when one of its names has no code yet (then it is not registered, see {@link RegistryKey#known}).
     */
    public RegistryKey keyOf(Labels labels) { return new RegistryKey(labels, names.key(labels)); }

    /**
     * The id of a label set if it is registered, else registers it with {@code newId} and returns that: one
     * encoding and one hash of the label set for both steps (a new series' lookup always misses).
     * @throws IOException as {@link #put}; nothing was registered
     */
    public int getOrRegister(Labels labels, int newId) throws IOException {
        return getOrRegister(keyOf(labels), newId);
    }

    /**
     * As {@link #getOrRegister(Labels, int)} with the key encoded and hashed by the caller, before any lock
     * ({@link #keyOf}). A key made before its names had codes is made again here, appending them.
     */
    public synchronized int getOrRegister(RegistryKey key, int newId) throws IOException {
        if (!key.known()) key = new RegistryKey(key.labels, names.keyAdding(key.labels));
        int v = fingerprints.lookup(key.fingerprint());
        int id = getLookedUp(key.key, v);
        if (id >= 0) return id;
        // a fingerprint no series has (nearly every new series): its pair goes in without being looked up again
        putEncoded(key, newId, v == Fingerprints.MISSING);
        return newId;
    }

    private int get(byte[] key, int fp) { return getLookedUp(key, fingerprints.lookup(fp)); }

    /** As {@link #get(byte[], int)} with the fingerprint's {@link Fingerprints#lookup} result {@code v}. */
    private int getLookedUp(byte[] key, int v) {
        if (v == Fingerprints.MISSING) return -1;
        try {
            if (v >= 0) {
                for (int k = tiers.size() - 1; k >= 0; k--) {
                    RegistryTier t = tiers.get(k);
                    if (!t.mayHold(v)) continue;
                    Integer id = mapOf(t).get(key);
                    if (id != null) return id;
                }
            }
            for (int k = tiers.size() - 1; k >= 0; k--) {   // ambiguous hash (or a stale hint): probe every tier
                Integer id = mapOf(tiers.get(k)).get(key);
                if (id != null) return id;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read series registry " + dir, e);
        }
        return -1;
    }

    /**
     * Whether a series the WAL names must be registered again: never when the registry was closed cleanly and
     * the id is below the next id it had then (every such id was registered before the WAL named it, and a clean
     * close loses nothing); otherwise when it is not registered with that id (e.g. an OS crash lost mapped pages).
     */
    public synchronized boolean needsRegistration(Labels labels, int id) {
        if (openedClean && id < nextIdAtOpen) return false;
        return !isRegistered(labels, id);
    }

    /** Whether the label set is registered with this id (from memory when its hash names that id). */
    public synchronized boolean isRegistered(Labels labels, int id) {
        byte[] key = names.key(labels);
        if (key == null) return false;
        if (fingerprints.lookup(fingerprint(key)) == id) return true;
        return get(labels) == id;
    }

    /**
     * Registers a label set that is not registered yet (or again, with the same id).
     * @throws IOException when a new tier is needed and cannot be created (no space left on device): nothing was
     *         registered
     */
    public synchronized void put(Labels labels, int id) throws IOException {
        if (closed) throw new IllegalStateException("series registry " + dir + " is closed");
        putEncoded(names.keyAdding(labels), id);
    }

    void putEncoded(byte[] key, int id) throws IOException {
        putEncoded(new RegistryKey(key), id);
    }

    private void putEncoded(RegistryKey rk, int id) throws IOException { putEncoded(rk, id, false); }

    /** As {@link #putEncoded(byte[], int)}; {@code fingerprintAbsent}: no series has the key's fingerprint (just looked up). */
    private synchronized void putEncoded(RegistryKey rk, int id, boolean fingerprintAbsent) throws IOException {
        int fp = rk.fingerprint();
        if (closed) throw new IllegalStateException("series registry " + dir + " is closed");
        firstTier();
        if (tiers.isEmpty() && createFirstTierAgain) {
            RegistryTier first = new RegistryTier(0, dir.resolve(RegistryFormat.tierFileName(0)));
            long capacity = RegistryFormat.tierCapacity(firstCapacity, 0);
            RegistryTier.createAllocated(fs, first.file, 0, capacity, keyHint(), m -> { });
            first.open(capacity, false);
            tiers.add(first);
            createFirstTierAgain = false;
        }
        RegistryTier t = newest();
        if (t.count >= RegistryFormat.tierCapacity(firstCapacity, t.index) || t.full) t = startTier(t.index + 1);
        Integer prev;
        try {
            prev = t.putGuarded(rk, id);
        } catch (IllegalStateException full) {
            // The tier's segments have no room left (keys longer than the size hint); nothing was written.
            log.info("series registry {}: tier {} is full after {} series ({})", dir, t.index, t.count, full.getMessage());
            t = startTier(t.index + 1);
            prev = t.putGuarded(rk, id);
        }
        if (prev == null) { t.count++; keyBytes += rk.key.length; keys++; }
        t.noteGrowth();
        t.noteId(id);
        if (fingerprintAbsent) fingerprints.addAbsent(fp, id); else fingerprints.add(fp, id);
        // The id itself is in the tier now, and open() takes the next id as the largest registered id + 1, so the
        // NEXT_ID_KEY entry is not rewritten per series (a second Chronicle put, a fifth of a new series' cost): the
        // newest tier is never rewritten, and each tier is created holding the next id of its time, so the ids of
        // series a rewrite drops from a sealed tier stay covered.
        if (id >= nextId) nextId = id + 1;
        if (++t.putsSinceOpen >= REMAP_AFTER_PUTS
                && (t.putsSinceOpen >= BURST_REMAP_AFTER_PUTS || System.nanoTime() - t.openedNanos >= REMAP_MIN_INTERVAL_NANOS)) {
            t.seal();
            t.open(RegistryFormat.tierCapacity(firstCapacity, t.index), false);
        }
    }

    /**
     * Creates tier {@code k} with all its blocks allocated ({@link RegistryTier#createAllocated}), makes it the
     * newest, seals the previous one and gives back that one's unused blocks.
     * @throws IOException when the tier cannot be created (no space left on device); nothing changed
     */
    private RegistryTier startTier(int k) throws IOException {
        if (k >= RegistryFormat.MAX_TIERS) throw new IllegalStateException("series registry " + dir + " has too many tiers");
        RegistryTier t = new RegistryTier(k, dir.resolve(RegistryFormat.tierFileName(k)));
        long capacity = RegistryFormat.tierCapacity(firstCapacity, k);
        final int next = nextId;
        try {
            RegistryTier.createAllocated(fs, t.file, k, capacity, keyHint(), m -> m.put(RegistryFormat.NEXT_ID_KEY, next));
        } catch (IOException e) {
            throw new IOException("cannot create series registry tier " + k + " in " + dir + " for new series: " + e.getMessage(), e);
        }
        t.open(capacity, false);
        RegistryTier previous = newest();
        tiers.add(t);
        sealOlderTiers();
        previous.releasePending = true;   // sealed: its unused blocks are given back by closeIdleTiers
        log.info("series registry {}: started tier {} for {} series", dir, k, capacity);
        return t;
    }

    /** Bytes and number of the keys registered by this process: the key size hint of the tiers it creates. */
    private long keyBytes, keys;

    private int keyHint() {
        if (keys == 0 && !tiers.isEmpty() && newest().isOpen()) {   // none put since the open: the newest tier's keys
            long[] n = {0, 0};
            newest().map().forEachEntry(e -> { n[0] += e.key().size(); n[1]++; });
            return RegistryFormat.keySizeHint(n[1] == 0 ? 0 : (double) n[0] / n[1]);
        }
        return RegistryFormat.keySizeHint(keys == 0 ? 0 : (double) keyBytes / keys);
    }

    /** The next id to assign: above every id ever registered, also of series that left the registry since. */
    public synchronized int nextId() { return nextId; }

    /** Number of registered series (the tiers' counts). */
    public synchronized long size() {
        long n = 0;
        for (RegistryTier t : tiers) n += t.count;
        return n;
    }

    /** Number of tier files. */
    public synchronized int tierCount() { return tiers.size() + (pendingFirstTier != null ? 1 : 0); }

    /** Whether the open took the lookup file (its tiers' entries not read). */
    private boolean openedFromLookup;
    synchronized boolean openedFromLookup() { return openedFromLookup; }

    /** Waits until the first tier of a new registry is created (tests; at once for a registry that has its tiers). */
    synchronized void awaitFirstTier() throws IOException { firstTier(); }

    /** Sum of the tier files' lengths (apparent sizes: the files are sparse, the allocated size is smaller). */
    public synchronized long fileBytes() throws IOException {
        long n = 0;
        for (RegistryTier t : tiers) n += Files.size(t.file);
        return n;
    }

    /** Calls {@code fn} for every registered series, oldest tier first (a series in two tiers twice). */
    public synchronized void forEach(ObjIntConsumer<Labels> fn) {
        try {
            firstTier();
        } catch (IOException e) {
            // no first tier: nothing registered
        }
        try {
            for (RegistryTier t : tiers) {
                boolean wasOpen = t.isOpen();
                mapOf(t).forEachEntry(e -> {
                    byte[] k = e.key().get();
                    if (RegistryTier.reserved(k)) return;
                    fn.accept(names.decode(k), e.value().get());
                });
                if (!wasOpen && t != newest()) t.seal();
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read series registry " + dir, e);
        }
    }

    /**
     * Copies the tier files into {@code target} (created; a snapshot), holding the registry's lock so that no
     * series is added and no tier rewritten ({@link #retainOnly}) meanwhile: every entry is copied whole. Pages of zeros are left as holes (the files are
     * sparse), and the copies are fsynced. The copy carries no clean marker, so a store opened on it runs
     * Chronicle Map's recovery first, as after a crash.
     */
    public synchronized void copyTo(Path target) throws IOException {
        if (closed) throw new IllegalStateException("series registry " + dir + " is closed");
        firstTier();
        fs.createDirectories(target);
        names.copyTo(LabelNameTable.path(target));
        for (RegistryTier t : tiers) SparseFiles.copy(fs, t.file, target.resolve(t.file.getFileName().toString()));
        fs.fsyncDirectory(target);
    }

    /** Number of tiers currently open (memory-mapped): the newest, plus sealed ones opened for recent lookups. */
    synchronized int openTierCount() {
        int n = 0;
        for (RegistryTier t : tiers) if (t.isOpen()) n++;
        return n;
    }

    /** What {@link #retainOnly} did. */
    public record Shrink(int tiersRewritten, long seriesRemoved, long seriesKept) {
        public static final Shrink NONE = new Shrink(0, 0, 0);
    }

    /** Runs a step while holding the caller's series-creation lock (so no series is created or revived meanwhile). */
    public interface CreationLock {
        void run(Runnable step);
    }

    /**
     * Removes the series for which {@code hasData} is false from sealed tiers where they are at least
     * {@code minFraction} of the entries (0 < minFraction <= 1): each such tier is rewritten without them to
     * {@code <tier>.tmp}, fsynced and renamed over the tier (a crash leaves the old or the new tier, both valid).
     * The newest tier, which takes new series, is left as it is.
     *
     * <p>{@code hasData} is a snapshot taken by the caller; a series that came back since (found by
     * {@link #get} and put into the head) would be dropped by it, so the final swap runs under {@code lock} and
     * first re-registers, in the newest tier, every dropped series for which {@code active} is then true.
     */
    public Shrink retainOnly(IntPredicate hasData, IntPredicate active, CreationLock lock, double minFraction) throws IOException {
        return RegistryRetention.retainOnly(this, hasData, active, lock, minFraction);
    }

    /** Test hook: {@code hook} is called with the name of each step of a tier rewrite. */
    void rewriteHookForTesting(java.util.function.Consumer<String> hook) { this.rewriteHook = hook; }

    /** Releases the maps without writing the clean marker (crash simulation in tests): the next open recovers. */
    public synchronized void abandon() {
        if (closed) return;
        closed = true;
        firstTierIfAny();
        for (RegistryTier t : tiers) t.seal();
        closeNames();
    }

    private void closeNames() {
        try {
            if (names != null) names.close();
        } catch (IOException e) {
            log.warn("series registry {}: cannot close {}: {}", dir, LabelNameTable.FILE_NAME, e.toString());
        }
    }

    @Override public synchronized void close() throws IOException {
        if (closed) return;
        closed = true;
        firstTierIfAny();
        long newestEntries = !tiers.isEmpty() && newest().isOpen() ? newest().map().longSize() : -1;
        for (RegistryTier t : tiers) t.seal();
        closeNames();   // fsynced at every append
        // What was written through the mappings sits in the page cache until written back: it must be on disk before
        // the marker says the registry needs no recovery (a power loss after a clean stop would otherwise find a
        // durable marker over lost entries). On failure no marker is written: the next open recovers.
        for (RegistryTier t : tiers) fs.fsyncFile(t.file);
        fs.fsyncDirectory(dir);
        if (!tiers.isEmpty()) RegistryLookupFile.writeQuietly(fs, dir, nextId, tiers, newestEntries, fingerprints);
        Path clean = dir.resolve(RegistryFormat.CLEAN_MARKER);
        fs.deleteIfExists(clean);
        fs.writeFileDurably(clean, "clean\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }
}
