package io.tsdb.core.chunk;

/** Encoder state at the end of an XOR stream chunk, recovered by decoding (for {@link XorChunkAppender#reopen}). */
final class XorStreamState {
    int count;
    int bitPos;      // bits used after the header
    long tFirst, tLast, dLast, vLast;
    int lz = -1, tz;
}
