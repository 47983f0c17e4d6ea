package io.tsdb.query;
import io.tsdb.core.Labels;
import io.tsdb.core.testing.MemStorage;
import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.*;
class SmokeTest {
  @Test void memStorageRoundTrip() throws Exception {
    MemStorage s = new MemStorage();
    var a = s.appender(); a.append(Labels.of("__name__","x"), 5, 1.5); a.commit();
    try (var q = s.querier(0, 10)) {
      var set = q.select(java.util.List.of(io.tsdb.core.Matcher.eq("__name__","x")));
      assertTrue(set.next()); var c = set.cursor(); assertTrue(c.next()); assertEquals(1.5, c.value());
    }
  }
}
