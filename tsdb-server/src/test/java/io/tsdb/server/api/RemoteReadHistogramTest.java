package io.tsdb.server.api;

import io.netty.buffer.Unpooled;
import io.tsdb.core.Labels;
import io.tsdb.core.histogram.CounterResetHint;
import io.tsdb.core.histogram.FloatHistogram;
import io.tsdb.core.histogram.Histogram;
import io.tsdb.server.ingest.proto.ProtoReader;
import io.tsdb.server.ingest.remotewrite.HistogramMessage;
import io.tsdb.server.ingest.proto.ProtoWriter;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Remote read answers native histogram samples in TimeSeries.histograms; the wire form reads back as written. */
class RemoteReadHistogramTest {
    final ApiFixture f = new ApiFixture();

    static FloatHistogram nhcb() {
        FloatHistogram h = new FloatHistogram();
        h.schema = -53;
        h.customValues = new double[]{0.1, 0.5, 1};
        h.positiveSpans.add(0, 2).add(1, 1);
        h.addPositive(1.5);
        h.addPositive(0);
        h.addPositive(4);
        h.count = 5.5;
        h.sum = 3.25;
        h.hint = CounterResetHint.NOT_COUNTER_RESET;
        return h;
    }

    @Test void histogramSamplesComeBackInTheHistogramsField() throws Exception {
        Labels l = Labels.of("__name__", "h");
        f.storage.add(l, 1000, 7);
        FloatHistogram written = nhcb();
        f.storage.addHistogram(l, 2000, written);
        byte[] resp = RemoteReadTest.unsnappy(f.call(new FakeRequest("POST", "/api/v1/read",
                RemoteReadTest.snappy(RemoteReadTest.request(0, 5000, new Object[][]{{0, "__name__", "h"}})), "application/x-protobuf")).body());
        // ReadResponse{results{timeseries{labels, samples, histograms}}}
        ProtoReader r = new ProtoReader(Unpooled.wrappedBuffer(resp));
        List<String> seen = new ArrayList<>();
        HistogramMessage hm = new HistogramMessage();
        r.tag();
        int o1 = r.pushLimit(r.lengthDelimited());
        r.tag();
        int o2 = r.pushLimit(r.lengthDelimited());
        while (r.hasRemaining()) {
            int tag = r.tag();
            int len = r.lengthDelimited();
            int o3 = r.pushLimit(len);
            switch (ProtoReader.field(tag)) {
                case 2 -> { seen.add("sample"); while (r.hasRemaining()) r.skip(r.tag()); }
                case 4 -> {
                    hm.read(r);
                    seen.add("histogram@" + hm.timestamp);
                    assertTrue(hm.isFloat);
                    hm.prepare();
                    assertTrue(hm.floating.sameData(written), hm.floating.toString());
                    assertEquals(CounterResetHint.NOT_COUNTER_RESET, hm.floating.hint);
                }
                default -> { while (r.hasRemaining()) r.skip(r.tag()); }
            }
            r.popLimit(o3);
        }
        r.popLimit(o2);
        r.popLimit(o1);
        assertEquals(List.of("sample", "histogram@2000"), seen);
    }

    @Test void integerHistogramWireRoundTrip() {
        Histogram h = new Histogram();
        h.schema = 3;
        h.zeroThreshold = 1e-3;
        h.zeroCount = 2;
        h.positiveSpans.add(-2, 2).add(3, 1);
        h.addPositiveDelta(1);
        h.addPositiveDelta(2);
        h.addPositiveDelta(-3);
        h.negativeSpans.add(0, 1);
        h.addNegativeDelta(4);
        h.count = 2 + 1 + 3 + 0 + 4;
        h.sum = -1.5;
        h.hint = CounterResetHint.COUNTER_RESET;
        ProtoWriter out = new ProtoWriter(), scratch = new ProtoWriter();
        HistogramWire.write(out, scratch, h, 12345);
        HistogramMessage hm = new HistogramMessage();
        hm.read(new ProtoReader(Unpooled.wrappedBuffer(out.toByteArray())));
        assertFalse(hm.isFloat);
        assertEquals(12345, hm.timestamp);
        hm.prepare();
        assertTrue(hm.integer.sameData(h), hm.integer.toString());
        assertEquals(CounterResetHint.COUNTER_RESET, hm.integer.hint);
        // a float histogram with count 0 stays a float histogram
        FloatHistogram z = new FloatHistogram();
        out.reset();
        HistogramWire.write(out, scratch, z, 1);
        hm.read(new ProtoReader(Unpooled.wrappedBuffer(out.toByteArray())));
        assertTrue(hm.isFloat);
    }
}
