package io.tsdb.core.registry;

import io.tsdb.core.Labels;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The in-place encoder writes exactly the bytes of the format's definition (varint pair count, then varint length
 * and {@link String#getBytes} UTF-8 of each name and value): registry keys and WAL records written by earlier
 * versions stay equal to the new ones.
 */
class LabelsCodecTest {
    /** The format written the plain way, as the codec did before it wrote in place. */
    static byte[] reference(Labels l) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        varint(out, l.size());
        for (int i = 0; i < l.size(); i++) {
            for (String s : new String[]{l.name(i), l.value(i)}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                varint(out, b.length);
                out.writeBytes(b);
            }
        }
        return out.toByteArray();
    }

    static void varint(ByteArrayOutputStream out, int v) {
        while ((v & ~0x7F) != 0) { out.write((v & 0x7F) | 0x80); v >>>= 7; }
        out.write(v);
    }

    static String randomString(Random r, int maxLen) {
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(maxLen + 1);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(6)) {
                case 0, 1 -> sb.append((char) (0x20 + r.nextInt(0x5F)));          // ASCII
                case 2 -> sb.append((char) (0x80 + r.nextInt(0x780)));             // two bytes
                case 3 -> sb.append((char) (0x800 + r.nextInt(0xD000 - 0x800)));   // three bytes
                case 4 -> sb.appendCodePoint(0x10000 + r.nextInt(0xFFFFF));        // a surrogate pair, four bytes
                default -> sb.append((char) (0xD800 + r.nextInt(0x800)));          // an unpaired surrogate: '?'
            }
        }
        return sb.toString();
    }

    @Test void writesTheBytesOfTheFormatForAnyStrings() {
        Random r = new Random(42);
        for (int k = 0; k < 5_000; k++) {
            int n = 1 + r.nextInt(6);
            String[] kv = new String[2 * n];
            for (int i = 0; i < n; i++) {
                kv[2 * i] = "l" + i + randomString(r, 4);   // distinct, sorted by their prefix
                kv[2 * i + 1] = randomString(r, 200);        // lengths past 127 need two-byte varints
            }
            Labels l = Labels.of(kv);
            byte[] want = reference(l);
            assertArrayEquals(want, LabelsCodec.encode(l), l.toString());
            assertEquals(want.length, LabelsCodec.encodedLength(l));
            byte[] into = new byte[want.length + 7];
            assertEquals(3 + want.length, LabelsCodec.encode(l, into, 3));
            assertArrayEquals(want, java.util.Arrays.copyOfRange(into, 3, 3 + want.length));
            // round trip (an unpaired surrogate decodes as the '?' it was written as)
            Labels back = LabelsCodec.decode(want);
            assertArrayEquals(want, LabelsCodec.encode(back));
        }
    }

    @Test void emptyLabelSet() {
        assertArrayEquals(new byte[]{0}, LabelsCodec.encode(Labels.EMPTY));
    }
}
