package io.tsdb.server.rules;

/**
 * Time for the rule engine: what "now" is and how to wait for a moment. {@link #SYSTEM} is the wall clock;
 * tests use {@link #scaled} (time running faster, from a chosen start, so minutes of evaluation pass in seconds
 * and a restarted process continues the same timeline) or drive evaluations directly.
 */
public interface RuleClock {
    long nowMillis();

    /** Sleeps until {@link #nowMillis()} reaches {@code ms}; interruptible. */
    void sleepUntil(long ms) throws InterruptedException;

    RuleClock SYSTEM = new RuleClock() {
        @Override public long nowMillis() { return System.currentTimeMillis(); }

        @Override public void sleepUntil(long ms) throws InterruptedException {
            long d;
            while ((d = ms - System.currentTimeMillis()) > 0) Thread.sleep(Math.min(d, 60_000));
        }
    };

    /**
     * A clock reading {@code fakeAtReal + (wall - realAt) * speed}: at wall-clock time {@code realAt} it reads
     * {@code fakeAtReal}, and it runs {@code speed} times faster.
     */
    static RuleClock scaled(long fakeAtReal, long realAt, double speed) {
        return new RuleClock() {
            @Override public long nowMillis() {
                return fakeAtReal + (long) ((System.currentTimeMillis() - realAt) * speed);
            }

            @Override public void sleepUntil(long ms) throws InterruptedException {
                long d;
                while ((d = ms - nowMillis()) > 0) Thread.sleep(Math.max(1, Math.min((long) Math.ceil(d / speed), 60_000)));
            }
        };
    }
}
