package io.tsdb.server.console;

import io.tsdb.server.Feature;
import io.tsdb.server.ServerContext;
import io.tsdb.server.http.Router;

/**
 * The web console: a static single-page application (plain ES modules and CSS, no build step) served at
 * {@code /}, its assets under {@code /console/}, uPlot from its WebJar under {@code /webjars/uplot/}, and
 * two small JSON endpoints for the metrics explorer ({@link ExplorerHandlers}). Everything the page loads
 * comes from this server's own origin; it needs no internet. The editor's list of PromQL functions comes from the
 * query engine's function registry ({@link FunctionList}).
 */
public final class ConsoleFeature implements Feature {
    static final String ROOT = "console";

    @Override
    public void register(Router router, ServerContext context) {
        StaticResources statics = new StaticResources();
        String uplot = "META-INF/resources/webjars/uplot/" + StaticResources.webjarVersion("org.webjars.npm", "uplot");

        router.get("/", req -> statics.serve(req, ROOT, "index.html", false));
        router.get("/index.html", req -> statics.serve(req, ROOT, "index.html", false));
        router.get("/console/*", req -> statics.serve(req, ROOT, req.path().substring("/console/".length()), false));
        router.get("/webjars/uplot/*", req -> statics.serve(req, uplot, req.path().substring("/webjars/uplot/".length()), true));

        ExplorerHandlers explorer = new ExplorerHandlers(context);
        router.get("/console/api/metrics", explorer::metrics);
        router.get("/console/api/metric", explorer::metric);
        router.get("/console/api/storage", explorer::storage);
        router.get("/console/api/slow_queries", explorer::slowQueries);
        // built at the first request (the function registry's classes are not needed to become ready)
        router.get("/console/api/functions", req -> FunctionList.Shared.LIST.handle(req));
    }
}
