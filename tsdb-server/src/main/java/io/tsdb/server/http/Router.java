package io.tsdb.server.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Maps (method, path) to handlers. Exact paths, or prefixes ending in {@code /*} (the handler parses the
 * rest of {@link Request#path()}). Exact routes win over prefixes; longer prefixes over shorter.
 * An unknown path is 404; a known path with another method is 405.
 */
public final class Router {
    /** @param inline the handler runs on the event loop first ({@link Request#onEventLoop()}) */
    public record Route(Set<String> methods, String pattern, String name, Handler handler, boolean inline) {
        boolean pathMatches(String path) {
            if (pattern.endsWith("/*")) return path.startsWith(pattern.substring(0, pattern.length() - 1));
            return pattern.equals(path);
        }
    }

    public record Match(Route route, boolean methodAllowed) {}

    private final List<Route> routes = new ArrayList<>();

    /**
     * Registers a route. {@code name} labels the route in metrics and logs (e.g. "/api/v1/query"), so
     * prefix routes do not explode metric cardinality.
     */
    public synchronized Router add(Set<String> methods, String pattern, String name, Handler handler) {
        return add(methods, pattern, name, handler, false);
    }

    /**
     * Registers a route; with {@code inline} its handler is first called on the connection's event loop, without
     * the hand-over to a worker and back (two thread wake-ups, about 0.1 ms), and must then answer quickly or throw
     * {@link RunOnWorker} (see {@link Request#onEventLoop()}). Requests that need credentials checked always start
     * on a worker (bcrypt).
     */
    public synchronized Router add(Set<String> methods, String pattern, String name, Handler handler, boolean inline) {
        routes.add(new Route(Set.copyOf(methods), pattern, name, handler, inline));
        return this;
    }

    public Router get(String pattern, Handler h) { return add(Set.of("GET", "HEAD"), pattern, pattern, h); }
    public Router post(String pattern, Handler h) { return add(Set.of("POST"), pattern, pattern, h); }
    public Router getPost(String pattern, Handler h) { return add(Set.of("GET", "HEAD", "POST"), pattern, pattern, h); }

    /** The best route for a request, or null for 404. */
    public synchronized Match match(String method, String path) {
        Route best = null;
        for (Route r : routes) {
            if (!r.pathMatches(path)) continue;
            if (best == null || better(r, best, method)) best = r;
        }
        if (best == null) return null;
        return new Match(best, best.methods().contains(method));
    }

    private static boolean better(Route r, Route best, String method) {
        boolean rExact = !r.pattern().endsWith("/*"), bExact = !best.pattern().endsWith("/*");
        if (rExact != bExact) return rExact;
        if (r.pattern().length() != best.pattern().length()) return r.pattern().length() > best.pattern().length();
        return r.methods().contains(method) && !best.methods().contains(method);
    }

    public synchronized List<Route> routes() { return List.copyOf(routes); }
}
