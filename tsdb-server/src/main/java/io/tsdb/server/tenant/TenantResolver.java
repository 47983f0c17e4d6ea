package io.tsdb.server.tenant;

import io.tsdb.server.http.HttpError;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Which tenants a request uses: from {@code X-Scope-OrgID}, the authenticated identity and the identity's grants
 * ({@code tsdb_tenants} of the web config file). Stateless.
 * <ul>
 *   <li>Authentication off: the header's tenants, or the default tenant without the header (anyone may claim any
 *       tenant: tenants then separate data, they do not protect it).</li>
 *   <li>Authentication on: an identity listed in {@code tsdb_tenants} may use the tenants listed ({@code "*"}: any);
 *       without the header it uses the first one listed ({@code "*"} first: the default tenant). An identity not
 *       listed uses the default tenant only. A tenant it may not use is a 403.</li>
 * </ul>
 */
public final class TenantResolver {
    /** A grant of every tenant. */
    public static final String ANY = "*";

    private TenantResolver() {}

    /**
     * @param header   the X-Scope-OrgID value, or null
     * @param identity the authenticated identity, or null when authentication is off
     * @param grants   identity -> tenants it may use (with authentication on; identities not in it: the default tenant)
     */
    public static TenantScope resolve(String header, String identity, Map<String, List<String>> grants, String defaultTenant) {
        boolean given = header != null && !header.isEmpty();
        List<String> requested = given ? TenantScope.parseHeader(header) : null;
        if (identity == null) return new TenantScope(given ? requested : List.of(defaultTenant), defaultTenant);
        List<String> allowed = grants.get(identity);
        if (allowed == null) allowed = List.of(defaultTenant);
        boolean any = allowed.contains(ANY);
        if (!given) return TenantScope.of(allowed.get(0).equals(ANY) ? defaultTenant : allowed.get(0), defaultTenant);
        List<String> refused = new ArrayList<>();
        for (String t : requested) if (!any && !allowed.contains(t)) refused.add(t);
        if (!refused.isEmpty()) {
            throw new HttpError(403, TenantScope.HEADER + ": identity \"" + identity + "\" may not use tenant "
                    + String.join(", ", refused) + " (tsdb_tenants in the web config file)");
        }
        return new TenantScope(requested, defaultTenant);
    }
}
