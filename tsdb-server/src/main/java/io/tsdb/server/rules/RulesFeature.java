package io.tsdb.server.rules;

import io.tsdb.query.engine.PromqlEngine;
import io.tsdb.server.Defaults;
import io.tsdb.server.Feature;
import io.tsdb.server.Reloadable;
import io.tsdb.server.ServerConfig;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.Response;
import io.tsdb.server.http.Router;
import io.tsdb.server.rules.notify.Notifier;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import io.tsdb.server.tenant.TenantScope;

import static io.tsdb.server.api.PrometheusApiFeature.api;

/**
 * The rule engine as a server feature: loads {@code --rules.file} (the default tenant's rules) and the per-tenant rule
 * files of {@code --rules.tenant-directory} ({@link TenantRuleManagers}) at start (refusing to start on an invalid file),
 * evaluates the groups, sends alerts to {@code --alertmanager.url}, answers {@code /api/v1/rules},
 * {@code /api/v1/alerts}, {@code /api/v1/alertmanagers}, and reloads on SIGHUP ({@link #reload}) and on
 * {@code POST /-/reload} (registered by TsdbServer, which reloads every configuration file) when {@code --web.enable-lifecycle} is set (403 otherwise; 400 naming the error when the
 * new files are invalid, the old rules keep running).
 *
 * <p>It must be registered before {@link io.tsdb.server.api.PrometheusApiFeature}: its routes then take precedence
 * over that feature's empty {@code /api/v1/rules} and {@code /api/v1/alerts} answers (the router keeps the first
 * route registered for a pattern).
 */
public final class RulesFeature implements Feature, Reloadable, AutoCloseable {
    private final RuleClock clock;
    private volatile RuleManager manager;
    private volatile TenantRuleManagers managers;
    private volatile Notifier notifier;

    public RulesFeature() { this(RuleClock.SYSTEM); }

    /** With a clock (tests run evaluation on a faster timeline). */
    public RulesFeature(RuleClock clock) { this.clock = clock; }

    /** The default tenant's rule manager ({@code --rules.file}). */
    public RuleManager manager() { return manager; }

    public Notifier notifier() { return notifier; }

    /** The rule-engine settings of a server configuration. */
    public static RuleEnv.Options options(ServerConfig c) {
        return new RuleEnv.Options(c.rulesEvaluationInterval.toMillis(), c.rulesQueryOffset.toMillis(),
                c.rulesResendDelay.toMillis(), c.rulesForOutageTolerance.toMillis(), c.rulesForGracePeriod.toMillis(),
                c.externalLabels, c.effectiveExternalUrl());
    }

    @Override
    public void register(Router router, ServerContext ctx) {
        ServerConfig cfg = ctx.config();
        notifier = new Notifier(new Notifier.Options(cfg.alertmanagerUrls, cfg.alertmanagerQueueCapacity,
                cfg.alertmanagerTimeout, cfg.externalLabels), ctx.registry());
        RuleMetrics metrics = new RuleMetrics(ctx.registry());
        // each tenant's rules read and write that tenant's series only (docs/security.md, "Tenants"): --rules.file is
        // the default tenant's, --rules.tenant-directory/<tenant>/ another tenant's
        java.util.function.BiFunction<String, List<String>, RuleManager> forTenant = (tenant, patterns) -> {
            io.tsdb.core.Storage storage = ctx.tenants().storage(TenantScope.of(tenant, ctx.tenants().defaultTenant()));
            PromqlEngine engine = new PromqlEngine(storage, Defaults.queryOptions(cfg), options(cfg).evaluationIntervalMs(),
                    Defaults.queryShards(cfg));
            RuleEnv env = new RuleEnv(storage, engine, Defaults.queryOptions(cfg), options(cfg), clock, notifier::send, metrics);
            return new RuleManager(env, patterns);
        };
        manager = forTenant.apply(ctx.tenants().defaultTenant(), cfg.rulesFiles);
        Path dir = cfg.rulesTenantDirectory;
        managers = new TenantRuleManagers(manager, ctx.tenants().defaultTenant(), dir,
                t -> forTenant.apply(t, List.of(dir.resolve(t).resolve("*.y*ml").toString())));
        RuleManager.ReloadResult first = managers.reload();
        if (!first.ok()) {
            managers.stop();
            notifier.close();
            throw new IllegalStateException("invalid rule files: " + first.message());
        }
        RulesApi rulesApi = new RulesApi(managers, notifier);
        router.get("/api/v1/rules", api(rulesApi::rules));
        router.get("/api/v1/alerts", api(rulesApi::alerts));
        router.get("/api/v1/alertmanagers", api(rulesApi::alertmanagers));
    }

    @Override
    public Outcome reload() {
        TenantRuleManagers m = managers;
        if (m == null) return new Outcome(false, "the rule engine is not running");
        RuleManager.ReloadResult r = m.reload();
        return new Outcome(r.ok(), r.message());
    }

    @Override
    public void close() {
        TenantRuleManagers m = managers;
        if (m != null) m.stop();
        Notifier n = notifier;
        if (n != null) n.close();
    }
}
