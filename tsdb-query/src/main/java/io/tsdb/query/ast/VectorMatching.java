package io.tsdb.query.ast;

import java.util.List;

/**
 * Vector matching of a binary operation between two vectors. {@code on} true means {@code on(labels)},
 * false means {@code ignoring(labels)} (or no clause when labels is empty and explicit is false).
 * {@code card} is ONE_TO_ONE, MANY_TO_ONE (group_left) or ONE_TO_MANY (group_right);
 * {@code include} holds the group_left/group_right label list.
 */
public record VectorMatching(Cardinality card, boolean on, List<String> labels, List<String> include) {
    public enum Cardinality { ONE_TO_ONE, MANY_TO_ONE, ONE_TO_MANY, MANY_TO_MANY }

    public static final VectorMatching DEFAULT = new VectorMatching(Cardinality.ONE_TO_ONE, false, List.of(), List.of());
}
