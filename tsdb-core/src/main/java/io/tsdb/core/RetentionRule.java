package io.tsdb.core;

import java.time.Duration;
import java.util.List;

/**
 * Retention by selector ({@code --retention.rule='{env="dev"}:3d'}): data of series matching every matcher is
 * removed once it is older than {@code retention}, while other series keep the storage's default retention.
 * When several rules match a series, the shortest retention applies.
 *
 * @param text      the rule as the operator wrote it (for logs and the flags page)
 * @param matchers  the series selector (at least one matcher that does not match the empty string)
 * @param retention how long matching series' data is kept (positive)
 */
public record RetentionRule(String text, List<Matcher> matchers, Duration retention) {
    public RetentionRule {
        matchers = List.copyOf(matchers);
        if (retention.isNegative() || retention.isZero()) throw new IllegalArgumentException("retention must be positive: " + text);
        boolean selective = false;
        for (Matcher m : matchers) if (!m.matchesEmpty()) selective = true;
        if (!selective) throw new IllegalArgumentException("selector of " + text + " must have a matcher that does not match the empty string");
    }

    @Override public String toString() { return text; }
}
