package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The idx reader on files this test writes in the published format. */
class FashionMnistTest {

    static void writeIdx(Path file, int magic, int[] dims, byte[] body) throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(raw);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(body);
        try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(file))) {
            gz.write(raw.toByteArray());
        }
    }

    @Test
    void readsImagesNormalisedWithTheSeedsMeanAndStd(@TempDir Path dir) throws Exception {
        byte[] pixels = new byte[3 * 2 * 2];
        pixels[0] = (byte) 255; // image 0, pixel 0 = white
        writeIdx(dir.resolve("img.gz"), 0x803, new int[] {3, 2, 2}, pixels);
        writeIdx(dir.resolve("lab.gz"), 0x801, new int[] {3}, new byte[] {9, 0, 4});
        Examples ex = FashionMnist.examples(dir.resolve("img.gz"), dir.resolve("lab.gz"));
        assertEquals(3, ex.size());
        assertEquals(4, ex.features()[0].length);
        assertEquals((1f - 0.2860f) / 0.3530f, ex.features()[0][0], 1e-6);
        assertEquals((0f - 0.2860f) / 0.3530f, ex.features()[2][3], 1e-6);
        assertEquals(9, ex.labels()[0]);
        assertEquals(4, ex.labels()[2]);
    }

    @Test
    void truncatedImageFileNamesFileAndOffset(@TempDir Path dir) throws Exception {
        writeIdx(dir.resolve("img.gz"), 0x803, new int[] {3, 2, 2}, new byte[9]); // 3 images need 12 bytes
        ConfigException e = assertThrows(ConfigException.class, () -> FashionMnist.readImages(dir.resolve("img.gz")));
        assertTrue(e.getMessage().contains("img.gz") && e.getMessage().contains("truncated at uncompressed byte offset 24"),
                e.getMessage());
    }

    @Test
    void wrongMagicIsRejected(@TempDir Path dir) throws Exception {
        writeIdx(dir.resolve("lab.gz"), 0x803, new int[] {1}, new byte[] {1});
        ConfigException e = assertThrows(ConfigException.class, () -> FashionMnist.readLabels(dir.resolve("lab.gz")));
        assertTrue(e.getMessage().contains("not an idx1 label file"), e.getMessage());
    }

    @Test
    void missingDirectoryNamesTheDebianPackage(@TempDir Path dir) {
        ConfigException e = assertThrows(ConfigException.class, () -> FashionMnist.read(dir.resolve("absent"), 1));
        assertTrue(e.getMessage().contains("apt-get install dataset-fashion-mnist"), e.getMessage());
    }
}
