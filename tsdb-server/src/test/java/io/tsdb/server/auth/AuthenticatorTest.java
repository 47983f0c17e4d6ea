package io.tsdb.server.auth;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Basic-auth and bearer-token checks. The bcrypt hashes come from other implementations: Prometheus's basic-auth
 * guide ("admin"/"test", $2b$, cost 12) and glibc/libxcrypt's crypt(3) ($2a$, $2b$ and $2y$ of the same salt and
 * password, and a UTF-8 password).
 */
class AuthenticatorTest {
    static final String PROMETHEUS_GUIDE_HASH = "$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay";
    static final String SALT_AND_DIGEST = "05$abcdefghijklmnopqrstuuzSvhclVSvY9ufOheOOhcPviTPFJlqIC"; // "s3cret-pw"
    static final String UTF8_HASH = "$2y$05$abcdefghijklmnopqrstuu8HUiFRqQtYVPoVc5oiBKZuhTqPvSMDy"; // "ü-pw"

    static Authenticator auth() throws Exception {
        return new Authenticator(WebConfig.parse(Path.of("web.yml"), """
                basic_auth_users:
                  admin: '%s'
                  a2a: '$2a$%s'
                  a2b: '$2b$%s'
                  a2y: '$2y$%s'
                  umlaut: '%s'
                tsdb_bearer_tokens:
                  collector: %s
                  ci: %s
                """.formatted(PROMETHEUS_GUIDE_HASH, SALT_AND_DIGEST, SALT_AND_DIGEST, SALT_AND_DIGEST, UTF8_HASH,
                Authenticator.tokenDigest("collector-token-0123456789"), Authenticator.tokenDigest("ci-token"))));
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test void bcryptHashesOfOtherImplementations() throws Exception {
        Authenticator a = auth();
        assertEquals("admin", a.authenticate(basic("admin", "test")).identity());
        for (String u : List.of("a2a", "a2b", "a2y")) {
            assertEquals(u, a.authenticate(basic(u, "s3cret-pw")).identity(), u);
            assertEquals(Authenticator.Failure.invalid_credentials, a.authenticate(basic(u, "s3cret-pX")).failure(), u);
        }
        assertTrue(a.authenticate(basic("umlaut", "ü-pw")).ok());
        assertFalse(a.authenticate(basic("umlaut", "u-pw")).ok());
        assertEquals("admin", a.authenticate("basic " + basic("admin", "test").substring(6)).identity(), "scheme is case-insensitive");
    }

    @Test void wrongPasswordUnknownUserAndCache() throws Exception {
        Authenticator a = auth();
        Authenticator.Outcome o = a.authenticate(basic("admin", "Test"));
        assertEquals(Authenticator.Failure.invalid_credentials, o.failure());
        assertEquals("admin", o.user());
        assertEquals(Authenticator.Failure.invalid_credentials, a.authenticate(basic("nobody", "test")).failure());
        assertEquals(Authenticator.Failure.invalid_credentials, a.authenticate(basic("", "test")).failure());
        long hits = a.cacheHits();
        for (int i = 0; i < 20; i++) assertTrue(a.authenticate(basic("admin", "test")).ok());
        assertTrue(a.cacheHits() >= hits + 19, "repeated credentials are answered from the cache, not bcrypt");
        assertFalse(a.authenticate(basic("admin", "Test")).ok(), "a cached failure stays a failure");
        assertFalse(a.authenticate(basic("nobody", "test")).ok());
    }

    @Test void bearerTokens() throws Exception {
        Authenticator a = auth();
        assertEquals("collector", a.authenticate("Bearer collector-token-0123456789").identity());
        assertEquals("ci", a.authenticate("bearer ci-token").identity());
        assertEquals(Authenticator.Failure.invalid_token, a.authenticate("Bearer ci-token2").failure());
        assertEquals(Authenticator.Failure.malformed, a.authenticate("Bearer ").failure());
        assertEquals(Authenticator.Failure.invalid_credentials, a.authenticate(basic("ci", "ci-token")).failure(),
                "a token is not a password");
        Authenticator basicOnly = new Authenticator(WebConfig.parse(Path.of("w"), "basic_auth_users: {u: '" + PROMETHEUS_GUIDE_HASH + "'}"));
        assertEquals(Authenticator.Failure.unsupported_scheme, basicOnly.authenticate("Bearer ci-token").failure());
        assertEquals("Basic realm=\"tsdb\", charset=\"UTF-8\"", basicOnly.challenge());
        assertEquals("Basic realm=\"tsdb\", charset=\"UTF-8\", Bearer realm=\"tsdb\"", a.challenge());
    }

    @Test void malformedHeadersAreRefusedWithoutExceptions() throws Exception {
        Authenticator a = auth();
        assertEquals(Authenticator.Failure.missing, a.authenticate(null).failure());
        assertEquals(Authenticator.Failure.missing, a.authenticate("").failure());
        for (String h : List.of("Basic", "Basic ", "Basic !!!", "Basic " + Base64.getEncoder().encodeToString("nocolon".getBytes()),
                "Basic " + Base64.getEncoder().encodeToString(new byte[]{(byte) 0xff, ':', 'x'}), "Basic a b c",
                "Basic " + "A".repeat(Authenticator.MAX_HEADER_CHARS), " Basic x", "Basic\tx")) {
            Authenticator.Outcome o = a.authenticate(h);
            assertFalse(o.ok(), h);
            assertTrue(o.failure() == Authenticator.Failure.malformed || o.failure() == Authenticator.Failure.unsupported_scheme, h + " " + o);
        }
        assertEquals(Authenticator.Failure.unsupported_scheme, a.authenticate("Digest username=\"admin\"").failure());
        // long passwords (bcrypt looks at 72 bytes) and random bytes: an answer, never an exception
        assertFalse(a.authenticate(basic("admin", "test" + "x".repeat(5000))).ok());
        Random r = new Random(17);
        for (int i = 0; i < 2000; i++) {
            byte[] b = new byte[r.nextInt(80)];
            r.nextBytes(b);
            String h = new String(b, StandardCharsets.ISO_8859_1);
            if (r.nextBoolean()) h = (r.nextBoolean() ? "Basic " : "Bearer ") + h;
            assertFalse(a.authenticate(h).ok(), h);
        }
    }

    /** With every bcrypt permit busy, an uncached password is not decided (429, not 401); tokens and cached outcomes are. */
    @Test void bcryptVerificationsAreCapped() throws Exception {
        WebConfig c = WebConfig.parse(Path.of("web.yml"), "basic_auth_users:\n  admin: '" + PROMETHEUS_GUIDE_HASH + "'\n"
                + "tsdb_bearer_tokens:\n  ci: " + Authenticator.tokenDigest("ci-token") + "\n");
        Authenticator none = new Authenticator(c, 0);
        assertEquals(Authenticator.Failure.verification_saturated, none.authenticate(basic("admin", "test")).failure());
        assertEquals(Authenticator.Failure.verification_saturated, none.authenticate(basic("nobody", "x")).failure());
        assertTrue(none.authenticate("Bearer ci-token").ok());
        assertEquals(Authenticator.Failure.missing, none.authenticate(null).failure());
        Authenticator one = new Authenticator(c, 1);
        assertTrue(one.authenticate(basic("admin", "test")).ok());
        assertTrue(Authenticator.BCRYPT_PERMITS >= 1 && Authenticator.BCRYPT_PERMITS <= Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    }

    /**
     * A client's first requests arrive together (one per remote-write shard): requests carrying the same credentials
     * share one verification instead of each needing a permit (with two permits, eight requests of two credentials
     * were answered 429 but for two); different credentials are verified each on their own.
     */
    @Test void concurrentRequestsWithTheSameCredentialsShareOneVerification() throws Exception {
        WebConfig c = WebConfig.parse(Path.of("web.yml"), "basic_auth_users:\n  admin: '" + PROMETHEUS_GUIDE_HASH + "'\n");
        // the waiters wait as long as the one verification takes: on a loaded machine a cost-12 bcrypt took over the
        // default 2 s, and a waiter timing out is answered "saturated" (correct, but not what this test is about)
        Authenticator one = new Authenticator(c, 2, 120_000);
        int n = 8;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
            List<java.util.concurrent.Future<Authenticator.Outcome>> fs = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                String header = i % 2 == 0 ? basic("admin", "test") : basic("admin", "wrong");
                fs.add(pool.submit(() -> {
                    start.await();
                    return one.authenticate(header);
                }));
            }
            for (int i = 0; i < n; i++) {
                Authenticator.Outcome o = fs.get(i).get();
                if (i % 2 == 0) assertTrue(o.ok(), "request " + i + ": " + o.failure());
                else assertEquals(Authenticator.Failure.invalid_credentials, o.failure(), "request " + i);
            }
            assertEquals(2, one.bcryptRuns(), "one verification per distinct credentials");
        } finally {
            pool.shutdownNow();
        }
    }

    /** The event loop's check: decided without bcrypt, or null. */
    @Test void precheckNeverRunsBcrypt() throws Exception {
        Authenticator a = auth();
        assertEquals(Authenticator.Failure.missing, a.precheck(null).failure());
        assertEquals(Authenticator.Failure.malformed, a.precheck("Basic !!!").failure());
        assertEquals(Authenticator.Failure.invalid_token, a.precheck("Bearer nope").failure());
        assertTrue(a.precheck("Bearer ci-token").ok());
        assertNull(a.precheck(basic("admin", "test")), "not cached yet: needs bcrypt");
        assertNull(a.precheck(basic("nobody", "x")), "an unknown user is not told apart from a known one");
        assertTrue(a.authenticate(basic("admin", "test")).ok());
        assertTrue(a.precheck(basic("admin", "test")).ok(), "cached");
        assertFalse(a.authenticate(basic("admin", "wrong")).ok());
        assertEquals(Authenticator.Failure.invalid_credentials, a.precheck(basic("admin", "wrong")).failure());
    }
}
