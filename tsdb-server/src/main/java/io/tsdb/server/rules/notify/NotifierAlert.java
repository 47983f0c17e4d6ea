package io.tsdb.server.rules.notify;

import io.tsdb.core.Labels;

import java.util.SortedMap;

/**
 * An alert as sent to Alertmanager ({@code POST /api/v2/alerts}): labels, annotations, startsAt (the firing time;
 * {@link io.tsdb.server.rules.Alert#NONE} when unknown), endsAt (the resolve time, or how long a firing alert stays
 * valid without news), and generatorURL (the rule's expression in the external URL's graph page).
 */
public record NotifierAlert(Labels labels, SortedMap<String, String> annotations, long startsAt, long endsAt,
                            String generatorUrl) {
    public String name() { return labels.get("alertname"); }

    /** Resolved when endsAt is not after {@code nowMs}. */
    public boolean resolvedAt(long nowMs) { return endsAt != io.tsdb.server.rules.Alert.NONE && endsAt <= nowMs; }
}
