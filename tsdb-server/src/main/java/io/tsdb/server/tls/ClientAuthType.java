package io.tsdb.server.tls;

/**
 * {@code client_auth_type} of a web config file: Go's crypto/tls client-auth policies, by their Go names.
 * Only {@link #RequireAndVerifyClientCert} authenticates a client; the others are listed because Prometheus
 * accepts them.
 */
public enum ClientAuthType {
    /** No client certificate is requested (the default). */
    NoClientCert(false, false),
    /** A certificate is requested; none is required and one given is not verified. */
    RequestClientCert(false, false),
    /** A certificate is required but not verified against the client CA. */
    RequireAnyClientCert(true, false),
    /** A certificate is optional; one given must verify against the client CA. */
    VerifyClientCertIfGiven(false, true),
    /** A certificate is required and must verify against the client CA: mutual TLS. */
    RequireAndVerifyClientCert(true, true);

    public final boolean required;
    public final boolean verified;

    ClientAuthType(boolean required, boolean verified) {
        this.required = required;
        this.verified = verified;
    }
}
