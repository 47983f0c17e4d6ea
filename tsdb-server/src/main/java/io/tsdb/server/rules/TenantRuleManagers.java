package io.tsdb.server.rules;

import io.tsdb.server.tenant.TenantScope;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The rule managers of every tenant: the default tenant's ({@code --rules.file}) and one per subdirectory of
 * {@code --rules.tenant-directory}, whose name is the tenant ID and whose {@code *.yml} / {@code *.yaml} files are
 * the tenant's rule files (the layout of Mimir's ruler local storage). Each tenant's rules run as that tenant: the
 * manager's environment queries and writes through the tenant's storage view, so they read and write its series
 * only, and only requests of that tenant see its groups and alerts.
 *
 * <p>{@link #reload} reloads the default tenant's files, then rescans the directory: a new subdirectory starts a
 * manager, a removed one stops its manager (its series get staleness markers as for a removed group), and every
 * remaining manager reloads its files. A subdirectory whose name is not a valid tenant ID is skipped with a warning.
 * A tenant whose files fail to load keeps its previous rules (or, new, none) and the failure is reported; the other
 * tenants are unaffected. Locking: {@code reload}/{@code stop} are synchronized; {@code tenants} is replaced
 * wholesale (volatile), so readers see a consistent map.
 */
final class TenantRuleManagers {
    private static final Logger log = LoggerFactory.getLogger(TenantRuleManagers.class);

    private final RuleManager defaultManager;
    private final String defaultTenant;
    private final Path directory;
    /** A manager for a tenant (its environment built on the tenant's storage view), not yet loaded. */
    private final Function<String, RuleManager> forTenant;
    private volatile Map<String, RuleManager> tenants = Map.of();

    TenantRuleManagers(RuleManager defaultManager, String defaultTenant, Path directory, Function<String, RuleManager> forTenant) {
        this.defaultManager = defaultManager;
        this.defaultTenant = defaultTenant;
        this.directory = directory;
        this.forTenant = forTenant;
    }

    RuleManager defaultManager() { return defaultManager; }

    /** The rule groups a request of {@code scope} sees: those of each of its tenants. */
    List<RuleGroup> groups(TenantScope scope) {
        List<RuleGroup> out = new ArrayList<>();
        for (String t : scope.tenants()) {
            RuleManager m = t.equals(defaultTenant) ? defaultManager : tenants.get(t);
            if (m != null) out.addAll(m.groups());
        }
        return out;
    }

    /** Tenants (besides the default one) with a rule directory, sorted. */
    List<String> tenantIds() { return List.copyOf(tenants.keySet()); }

    /** Reloads every tenant's rules (see the class comment); the result is the default tenant's, with the others' errors added. */
    synchronized RuleManager.ReloadResult reload() {
        RuleManager.ReloadResult first = defaultManager.reload();
        if (directory == null) return first;
        List<String> errors = new ArrayList<>(first.errors()), warnings = new ArrayList<>(first.warnings());
        Map<String, RuleManager> next = new TreeMap<>();
        List<Path> dirs;
        try (Stream<Path> s = Files.list(directory)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            errors.add("rules tenant directory " + directory + ": " + e.getMessage());
            return new RuleManager.ReloadResult(false, errors, warnings, first.groups(), first.rules());
        }
        int groups = first.groups(), rules = first.rules();
        Map<String, RuleManager> old = new TreeMap<>(tenants);
        for (Path d : dirs) {
            String id = d.getFileName().toString();
            String why = TenantScope.invalid(id);
            if (why != null || id.equals(defaultTenant)) {
                String w = "rules tenant directory " + d + " skipped: "
                        + (why != null ? why : "the default tenant's rules come from --rules.file");
                warnings.add(w);
                log.atWarn().log(w);
                continue;
            }
            RuleManager m = old.remove(id);
            if (m == null) m = forTenant.apply(id);
            RuleManager.ReloadResult r = m.reload();
            for (String e : r.errors()) errors.add("tenant " + id + ": " + e);
            groups += r.groups();
            rules += r.rules();
            next.put(id, m);
        }
        tenants = next;
        for (Map.Entry<String, RuleManager> gone : old.entrySet()) {
            log.atInfo().addKeyValue("tenant", gone.getKey()).log("rules directory removed: the tenant's rule groups stop");
            gone.getValue().update(List.of());   // stops its groups; their series get staleness markers
            gone.getValue().stop();
        }
        return new RuleManager.ReloadResult(errors.isEmpty(), List.copyOf(errors), List.copyOf(warnings), groups, rules);
    }

    synchronized void stop() {
        defaultManager.stop();
        for (RuleManager m : tenants.values()) m.stop();
    }
}
