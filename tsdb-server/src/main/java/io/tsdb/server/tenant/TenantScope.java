package io.tsdb.server.tenant;

import io.tsdb.core.Matcher;
import io.tsdb.server.http.HttpError;

import java.util.List;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The tenants one request may see or write (docs/security.md, "Tenants"): one tenant, or several for a
 * multi-tenant read ({@code X-Scope-OrgID: a|b}). Immutable; built by the HTTP layer once per request
 * ({@link TenantResolver}) and handed to handlers as {@code Request.tenant()}.
 *
 * <p>Storage: a series of tenant {@code t} carries the hidden label {@value #LABEL}{@code ="t"}, except the series
 * of the default tenant, which carry none (so data written before tenants existed belongs to the default tenant,
 * and a single-tenant server stores exactly what it stored before). {@link #enforced()} is the matcher every read
 * adds; {@link TenantStorage} adds it and strips the label from answers.
 *
 * @param tenants       sorted, distinct, at least one
 * @param defaultTenant the tenant whose series carry no tenant label ({@code --tenant.default})
 */
public record TenantScope(List<String> tenants, String defaultTenant) {
    /** The hidden label holding a series' tenant (absent for the default tenant). Never shown to clients. */
    public static final String LABEL = "__tenant__";
    /** The label multi-tenant reads add to every series to tell tenants apart (Mimir's name). */
    public static final String ID_LABEL = "__tenant_id__";
    /** The request header selecting the tenant (Mimir, Cortex, Loki). */
    public static final String HEADER = "X-Scope-OrgID";
    /** Mimir's tenant ID rules: up to 150 of these characters, not "." or "..". */
    private static final Pattern ID = Pattern.compile("[a-zA-Z0-9!_.*'()-]{1,150}");

    public TenantScope {
        // one tenant (almost every request): already sorted and distinct
        tenants = tenants.size() == 1 ? List.copyOf(tenants) : List.copyOf(new TreeSet<>(tenants));
        if (tenants.isEmpty()) throw new IllegalArgumentException("no tenant");
    }

    /** The scope of one tenant. */
    public static TenantScope of(String tenant, String defaultTenant) { return new TenantScope(List.of(tenant), defaultTenant); }

    /** Null when {@code id} is a valid tenant ID, else why not. */
    public static String invalid(String id) {
        if (id == null || id.isEmpty()) return "empty tenant ID";
        if (!ID.matcher(id).matches()) {
            return "invalid tenant ID \"" + printable(id) + "\": at most 150 characters of a-z A-Z 0-9 ! - _ . * ' ( )";
        }
        if (id.equals(".") || id.equals("..")) return "invalid tenant ID \"" + id + "\": \".\" and \"..\" are not allowed";
        return null;
    }

    /** Parses an {@code X-Scope-OrgID} value ({@code a} or {@code a|b|...}); a 400 naming the header when invalid. */
    public static List<String> parseHeader(String value) {
        String[] parts = value.split("\\|", -1);
        if (parts.length > 100) throw new HttpError(400, HEADER + ": more than 100 tenants");
        for (String p : parts) {
            String why = invalid(p);
            if (why != null) throw new HttpError(400, HEADER + ": " + why);
        }
        return List.of(parts);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().limit(64).forEach(c -> b.append(c < 0x20 || c >= 0x7f ? '?' : Character.toString(c)));
        return b.toString();
    }

    public boolean multi() { return tenants.size() > 1; }

    /** The one tenant of a single-tenant scope; a 400 for a multi-tenant one (writes, rules, admin). */
    public String single() {
        if (multi()) {
            throw new HttpError(400, HEADER + ": this endpoint takes one tenant, not " + String.join("|", tenants));
        }
        return tenants.get(0);
    }

    /** Whether this is exactly the default tenant: the operator's scope (global endpoints: flush, snapshot, /metrics). */
    public boolean isDefault() { return !multi() && tenants.get(0).equals(defaultTenant); }

    /** A stable key of the scope (cache keys, metrics): the tenants joined by '|'. */
    public String key() { return String.join("|", tenants); }

    /** The value of {@link #LABEL} that series of {@code tenant} carry: empty (absent) for the default tenant. */
    public String labelValue(String tenant) { return tenant.equals(defaultTenant) ? "" : tenant; }

    /** The tenant of a stored series given its {@link #LABEL} value (null or empty: the default tenant). */
    public String tenantOf(String labelValue) { return labelValue == null || labelValue.isEmpty() ? defaultTenant : labelValue; }

    /** The matcher every read of this scope adds: the tenant label equal to one of the scope's values. */
    public Matcher enforced() { return matcherFor(tenants); }

    Matcher matcherFor(List<String> ts) {
        if (ts.size() == 1) return Matcher.eq(LABEL, labelValue(ts.get(0)));
        StringBuilder re = new StringBuilder();
        for (String t : ts) {
            if (re.length() > 0) re.append('|');
            for (char c : labelValue(t).toCharArray()) {
                if (c == '.' || c == '*' || c == '(' || c == ')') re.append('\\');
                re.append(c);
            }
        }
        return Matcher.re(LABEL, re.toString());
    }
}
