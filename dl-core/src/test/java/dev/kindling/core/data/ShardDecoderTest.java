package dev.kindling.core.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.io.InputException;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/** The bulk shard decoder gives exactly what DL4J's {@code DataSet.load} gives, and names bad bytes. */
class ShardDecoderTest {

    static Stream<DataSet> shards() {
        Nd4j.getRandom().setSeed(7);
        INDArray seq = Nd4j.rand(DataType.FLOAT, 3, 4, 5); // [B, C, T]
        INDArray seqMask = Nd4j.create(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0}, new long[] {3, 5}, 'c');
        return Stream.of(
                new DataSet(Nd4j.rand(DataType.FLOAT, 64, 784), Nd4j.eye(10).castTo(DataType.FLOAT).repeat(0, 7).getRows(rows(64))),
                new DataSet(seq, Nd4j.rand(DataType.FLOAT, 3, 7, 5), seqMask, seqMask.dup()),
                new DataSet(Nd4j.rand(DataType.DOUBLE, 5, 2), Nd4j.rand(DataType.DOUBLE, 5, 1)),
                new DataSet(Nd4j.rand(DataType.FLOAT, 'f', 6, 3), Nd4j.createFromArray(new int[][] {{1}, {2}, {3}, {4}, {5}, {6}})),
                new DataSet(Nd4j.rand(DataType.FLOAT, 4, 3, 8, 8), Nd4j.createFromArray(new long[][] {{1, 2}, {3, 4}, {5, 6}, {7, 8}})),
                new DataSet(Nd4j.rand(DataType.FLOAT, 10, 6).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(2, 7),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()), Nd4j.rand(DataType.FLOAT, 5, 2)), // a view: saved dense
                new DataSet(Nd4j.rand(DataType.FLOAT, 1, 1), Nd4j.rand(DataType.FLOAT, 1, 1)));
    }

    private static int[] rows(int n) {
        return java.util.stream.IntStream.range(0, n).toArray();
    }

    @ParameterizedTest
    @MethodSource("shards")
    void decodesExactlyWhatDl4jDecodes(DataSet original) {
        byte[] bytes = DatasetWriter.serialize(original);
        DataSet dl4j = ShardDecoder.dl4j(bytes);
        DataSet ours = ShardDecoder.decode(bytes);
        assertSameArray(dl4j.getFeatures(), ours.getFeatures(), "features");
        assertSameArray(dl4j.getLabels(), ours.getLabels(), "labels");
        assertSameArray(dl4j.getFeaturesMaskArray(), ours.getFeaturesMaskArray(), "features mask");
        assertSameArray(dl4j.getLabelsMaskArray(), ours.getLabelsMaskArray(), "labels mask");
        assertEquals(original.getFeatures(), ours.getFeatures());
    }

    @Test
    void labelsSavedAsTheFeaturesAreTheSameArray() {
        INDArray x = Nd4j.rand(DataType.FLOAT, 4, 3);
        DataSet ours = ShardDecoder.decode(DatasetWriter.serialize(new DataSet(x, x)));
        assertSame(ours.getFeatures(), ours.getLabels());
        assertEquals(x, ours.getLabels());
    }

    @Test
    void shardsWithLabelNamesGoToDl4jsDecoder() {
        DataSet ds = new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3), Nd4j.rand(DataType.FLOAT, 2, 2));
        ds.setLabelNames(List.of("cat", "dog"));
        DataSet ours = ShardDecoder.decode(DatasetWriter.serialize(ds));
        assertEquals(List.of("cat", "dog"), ours.getLabelNamesList());
        assertEquals(ds.getFeatures(), ours.getFeatures());
    }

    /** Every prefix of a masked shard is an error naming the shard, never a wrong DataSet or another exception. */
    @Test
    void everyTruncationIsANamedError() {
        DataSet masked = shards().skip(1).findFirst().orElseThrow();
        byte[] bytes = DatasetWriter.serialize(masked);
        for (int n = 0; n < bytes.length; n++) {
            byte[] cut = java.util.Arrays.copyOf(bytes, n);
            InputException e = assertThrows(InputException.class, () -> Shards.decode(cut, "part-00009.bin"), "prefix " + n);
            assertTrue(e.getMessage().startsWith("shard=part-00009.bin: corrupt or truncated"), e.getMessage());
        }
    }

    @Test
    void aLengthLargerThanTheFileIsRefusedBeforeAllocating() {
        byte[] bytes = DatasetWriter.serialize(new DataSet(Nd4j.rand(DataType.FLOAT, 2, 3), Nd4j.rand(DataType.FLOAT, 2, 2)));
        // the features' data buffer header ends with its int64 length and the UTF type name "FLOAT"
        int at = indexOf(bytes, "FLOAT".getBytes(), 0) - 2 - Long.BYTES;
        java.nio.ByteBuffer.wrap(bytes).putLong(at, 1L << 40);
        InputException e = assertThrows(InputException.class, () -> Shards.decode(bytes, "big.bin"));
        assertTrue(e.getMessage().contains("truncated: features needs 1099511627776 values"), e.getMessage());
    }

    @Test
    void aForeignFileIsNamed() {
        InputException e = assertThrows(InputException.class, () -> Shards.decode("PK\u0003\u0004 a zip, not a shard".getBytes(), "x.bin"));
        assertTrue(e.getMessage().startsWith("shard=x.bin: corrupt or truncated"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        outer:
        for (int i = from; i <= hay.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    private static void assertSameArray(INDArray expected, INDArray actual, String what) {
        if (expected == null) {
            assertNull(actual, what);
            return;
        }
        assertEquals(expected.dataType(), actual.dataType(), what);
        assertArrayEquals(expected.shape(), actual.shape(), what);
        assertArrayEquals(expected.stride(), actual.stride(), what);
        assertEquals(expected.ordering(), actual.ordering(), what);
        assertEquals(expected, actual, what);
        ByteArrayOutputStream a = new ByteArrayOutputStream();
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try {
            Nd4j.write(expected, new java.io.DataOutputStream(a));
            Nd4j.write(actual, new java.io.DataOutputStream(b));
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        assertArrayEquals(a.toByteArray(), b.toByteArray(), what + ": bit-identical when saved again");
    }
}
