package io.tsdb.server.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * Checks the {@code Authorization} header of a request against a {@link WebConfig}'s users (HTTP Basic, bcrypt
 * hashes) and bearer tokens (SHA-256 digests). Immutable apart from its cache; one instance per loaded config,
 * shared by all worker threads (Caffeine's cache is thread-safe). It never sees a request path: which paths need
 * credentials is {@link #OPEN_PATHS}.
 * <p>Costs and timing: a bcrypt verification takes tens of milliseconds by design, so outcomes are cached by
 * SHA-256(user, password, stored hash) (the password itself is never kept); a user name that does not exist is
 * checked against a dummy hash, so a miss takes as long as a wrong password. Token and cache-key comparisons are
 * constant-time ({@link MessageDigest#isEqual}) over every configured token.
 */
public final class Authenticator {
    /** Paths answered without credentials: liveness and readiness probes (docs/security.md). */
    public static final Set<String> OPEN_PATHS = Set.of("/-/healthy", "/-/ready");
    /** Longest Authorization header value considered; longer ones are malformed (no decoding, no hashing). */
    public static final int MAX_HEADER_CHARS = 8192;

    /** Why a request was refused: the {@code reason} label of {@code tsdb_http_auth_failures_total}. */
    public enum Failure {
        /** No Authorization header. */
        missing,
        /** Not "Basic base64(user:password)" nor "Bearer token", bad base64, bad UTF-8, too long. */
        malformed,
        /** A scheme that is not configured (e.g. Bearer when no token is). */
        unsupported_scheme,
        /** A Basic user and password that do not match a configured user (unknown user included). */
        invalid_credentials,
        /** A bearer token that is not configured. */
        invalid_token,
        /**
         * Not decided: every bcrypt permit was busy (a flood of uncached passwords); answered 429 with Retry-After,
         * not 401, since the credentials may well be valid.
         */
        verification_saturated
    }

    /** The outcome: {@code identity} when accepted, else {@code failure}; {@code user} is the claimed user name, if any. */
    public record Outcome(String identity, Failure failure, String user) {
        public boolean ok() { return identity != null; }
    }

    /** A valid bcrypt hash of a random password, checked when the user does not exist (equal timing). */
    private static final byte[] DUMMY_HASH =
            "$2b$10$L8qUMWrwku7kZLxjI3Wx1exyPMlRasxPuQkLq4kTe6zNq7EEibOLW".getBytes(StandardCharsets.US_ASCII);
    private static final BCrypt.Verifyer BCRYPT = BCrypt.verifyer(BCrypt.Version.VERSION_2A,
            LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2A));

    /**
     * bcrypt verifications running at once: half the cores (at least one), so a flood of wrong or new passwords
     * cannot take every core from ingest and queries; cached outcomes and tokens need no permit.
     */
    static final int BCRYPT_PERMITS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    /** How long a verification waits for a permit before the request is answered 429. */
    static final long BCRYPT_WAIT_MS = 250;
    private final java.util.concurrent.Semaphore bcryptPermits;

    private final Map<String, byte[]> users;          // user -> bcrypt hash (ASCII)
    private final Map<String, byte[]> tokens;         // identity -> SHA-256(token)
    private final Cache<ByteBuffer, Boolean> verified;
    /**
     * Verifications running, by cache key: a request with the same credentials as one being verified waits for that
     * outcome instead of taking a permit of its own (a client's first requests arrive together, e.g. one per remote
     * write shard; with one permit per request all but the first were answered 429, which Prometheus 2.x drops
     * unless {@code retry_on_http_429} is set). Completed with null when the verification could not run.
     */
    private final java.util.concurrent.ConcurrentHashMap<ByteBuffer, java.util.concurrent.CompletableFuture<Boolean>> running =
            new java.util.concurrent.ConcurrentHashMap<>();
    /** How long a request waits for the same credentials' verification run by another request. */
    static final long SHARED_WAIT_MS = 2_000;
    private final long sharedWaitMs;
    private final java.util.concurrent.atomic.AtomicLong bcryptRuns = new java.util.concurrent.atomic.AtomicLong();
    private final String challenge;

    public Authenticator(WebConfig config) { this(config, BCRYPT_PERMITS); }

    /** With {@code permits} concurrent bcrypt verifications (tests). */
    Authenticator(WebConfig config, int permits) { this(config, permits, SHARED_WAIT_MS); }

    /**
     * With {@code permits} concurrent bcrypt verifications, and a request waiting at most {@code sharedWaitMs} for
     * the verification of the same credentials run by another (tests: a loaded machine can take longer than the
     * default for one cost-12 bcrypt).
     */
    Authenticator(WebConfig config, int permits, long sharedWaitMs) {
        this.sharedWaitMs = sharedWaitMs;
        this.bcryptPermits = new java.util.concurrent.Semaphore(permits);
        var u = new java.util.HashMap<String, byte[]>();
        config.basicAuthUsers().forEach((k, v) -> u.put(k, v.getBytes(StandardCharsets.US_ASCII)));
        this.users = Map.copyOf(u);
        this.tokens = config.bearerTokens();
        this.verified = Caffeine.newBuilder().recordStats().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(15)).build();
        StringBuilder c = new StringBuilder();
        if (!users.isEmpty()) c.append("Basic realm=\"tsdb\", charset=\"UTF-8\"");
        if (!tokens.isEmpty()) c.append(c.length() == 0 ? "" : ", ").append("Bearer realm=\"tsdb\"");
        this.challenge = c.toString();
    }

    /** The WWW-Authenticate value of a 401: the schemes configured. */
    public String challenge() { return challenge; }

    /** Checks an Authorization header value (null when absent). Blocking (bcrypt): call off the event loop. */
    public Outcome authenticate(String authorization) { return check(authorization, true); }

    /**
     * The outcome when it is known without running bcrypt (no, malformed or unsupported credentials, a bearer token,
     * Basic credentials whose verification is cached), else null. Non-blocking: for the event loop (Expect:
     * 100-continue is answered 401 before the body is sent when the refusal is certain).
     */
    public Outcome precheck(String authorization) { return check(authorization, false); }

    private Outcome check(String authorization, boolean bcryptAllowed) {
        if (authorization == null || authorization.isEmpty()) return new Outcome(null, Failure.missing, null);
        if (authorization.length() > MAX_HEADER_CHARS) return new Outcome(null, Failure.malformed, null);
        int sp = authorization.indexOf(' ');
        if (sp <= 0) return new Outcome(null, Failure.malformed, null);
        String scheme = authorization.substring(0, sp);
        String rest = authorization.substring(sp + 1).strip();
        if (scheme.equalsIgnoreCase("Basic")) {
            return users.isEmpty() ? new Outcome(null, Failure.unsupported_scheme, null) : basic(rest, bcryptAllowed);
        }
        if (scheme.equalsIgnoreCase("Bearer")) {
            return tokens.isEmpty() ? new Outcome(null, Failure.unsupported_scheme, null) : bearer(rest);
        }
        return new Outcome(null, Failure.unsupported_scheme, null);
    }

    private Outcome basic(String encoded, boolean bcryptAllowed) {
        byte[] raw;
        String decoded;
        try {
            raw = Base64.getDecoder().decode(encoded);
            decoded = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return new Outcome(null, Failure.malformed, null);
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) return new Outcome(null, Failure.malformed, null);
        String user = decoded.substring(0, colon);
        byte[] password = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        byte[] hash = users.get(user);
        boolean known = hash != null;
        if (!known) hash = DUMMY_HASH;
        ByteBuffer key = ByteBuffer.wrap(sha256(user.getBytes(StandardCharsets.UTF_8), new byte[]{0}, password, new byte[]{0}, hash));
        Boolean ok = verified.getIfPresent(key);
        if (ok == null && !bcryptAllowed) {
            java.util.Arrays.fill(password, (byte) 0);
            return null;
        }
        if (ok == null) {
            ok = verifyOnce(key, password, hash, known);
            if (ok == null) {
                java.util.Arrays.fill(password, (byte) 0);
                return new Outcome(null, Failure.verification_saturated, user);
            }
        }
        java.util.Arrays.fill(password, (byte) 0);
        return ok ? new Outcome(user, null, user) : new Outcome(null, Failure.invalid_credentials, user);
    }

    /**
     * Runs the bcrypt verification for {@code key}, or waits for the one another request is running with the same
     * credentials; null when no permit came within {@link #BCRYPT_WAIT_MS} (or the shared run did not finish in
     * {@link #SHARED_WAIT_MS}, by default). The outcome is cached before waiters are released.
     */
    private Boolean verifyOnce(ByteBuffer key, byte[] password, byte[] hash, boolean known) {
        java.util.concurrent.CompletableFuture<Boolean> mine = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Boolean> other = running.putIfAbsent(key, mine);
        if (other != null) {
            try {
                return other.get(sharedWaitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return null;
            }
        }
        Boolean ok = null;
        try {
            boolean permit;
            try {
                permit = bcryptPermits.tryAcquire(BCRYPT_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                permit = false;
            }
            if (!permit) return null;
            try {
                bcryptRuns.incrementAndGet();
                ok = bcrypt(password, hash) && known;
            } finally {
                bcryptPermits.release();
            }
            verified.put(key, ok);
            return ok;
        } finally {
            running.remove(key, mine);
            mine.complete(ok);
        }
    }

    /** bcrypt verifications run so far (for tests). */
    long bcryptRuns() { return bcryptRuns.get(); }

    private static boolean bcrypt(byte[] password, byte[] hash) {
        try {
            return BCRYPT.verify(password, hash).verified;
        } catch (RuntimeException e) { // e.g. an empty password the library refuses: not a match
            return false;
        }
    }

    private Outcome bearer(String token) {
        if (token.isEmpty()) return new Outcome(null, Failure.malformed, null);
        byte[] digest = sha256(token.getBytes(StandardCharsets.UTF_8));
        String match = null;
        for (var e : tokens.entrySet()) {   // every entry compared: time does not depend on which one matches
            if (MessageDigest.isEqual(e.getValue(), digest) && match == null) match = e.getKey();
        }
        return match != null ? new Outcome(match, null, null) : new Outcome(null, Failure.invalid_token, null);
    }

    /** Verifications answered from the cache (for tests and metrics). */
    public long cacheHits() { return verified.stats().hitCount(); }

    static byte[] sha256(byte[]... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (byte[] p : parts) d.update(p);
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code sha256:<hex>} of a token, the form {@code tsdb_bearer_tokens} stores. */
    public static String tokenDigest(String token) {
        return WebConfigFormat.SHA256_PREFIX + HexFormat.of().formatHex(sha256(token.getBytes(StandardCharsets.UTF_8)));
    }
}
