package io.tsdb.query.ast;

public enum ValueType {
    SCALAR("scalar"), STRING("string"), VECTOR("instant vector"), MATRIX("range vector");

    /** Name used in type-error messages, as Prometheus words them. */
    public final String description;

    ValueType(String description) { this.description = description; }

    /** The name used in API responses' resultType. */
    public String resultType() {
        return switch (this) {
            case SCALAR -> "scalar";
            case STRING -> "string";
            case VECTOR -> "vector";
            case MATRIX -> "matrix";
        };
    }
}
