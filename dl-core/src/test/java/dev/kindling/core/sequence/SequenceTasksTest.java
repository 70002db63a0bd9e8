package dev.kindling.core.sequence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.LocalStorage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;

class SequenceTasksTest {
    private static final SequenceTasks.Sizes SMALL = new SequenceTasks.Sizes(200, 50, 50);

    @Test
    void timeMajorExamplesBecomeNcwAndBack() {
        float[][] x = {{1, 2, 3}, {4, 5, 6}}; // (T=2, C=3)
        float[] ncw = SequenceLayout.toNcw(x);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, ncw); // [C=3, T=2]
        float[][] back = SequenceLayout.toTimeMajor(ncw, 3, 2);
        assertArrayEquals(x[0], back[0]);
        assertArrayEquals(x[1], back[1]);
    }

    @Test
    void learnableTaskSeparatesClassesByChannelZerosMeanAndRandomOneDoesNot() {
        assertTrue(meanRuleAccuracy(SequenceTasks.classification(1, true, SMALL)) > 0.97);
        double chance = meanRuleAccuracy(SequenceTasks.classification(1, false, SMALL));
        assertTrue(chance > 0.35 && chance < 0.65, "random labels: " + chance);
    }

    /** Accuracy of "class 1 when channel 0's mean over the real steps is positive". */
    private static double meanRuleAccuracy(DatasetWriter.Source src) {
        DataSet ds = src.splits().get("train").batch(0, 200);
        assertArrayEquals(new long[] {200, 16, 50}, ds.getFeatures().shape());
        assertArrayEquals(new long[] {200, 2}, ds.getLabels().shape());
        int right = 0;
        for (int i = 0; i < 200; i++) {
            double mean = ds.getFeatures().get(NDArrayIndex.point(i), NDArrayIndex.point(0), NDArrayIndex.all()).meanNumber().doubleValue();
            int label = ds.getLabels().getDouble(i, 1) > 0.5 ? 1 : 0;
            right += (mean > 0 ? 1 : 0) == label ? 1 : 0;
        }
        return right / 200.0;
    }

    @Test
    void variableLengthSequencesArePaddedWithZerosWhereTheMaskIsZero() {
        DatasetWriter.Source src = SequenceTasks.variableLength(3, SMALL);
        assertTrue(src.masked());
        DataSet ds = src.splits().get("val").batch(0, 50);
        INDArray fm = ds.getFeaturesMaskArray();
        assertArrayEquals(new long[] {50, 50}, fm.shape());
        assertArrayEquals(new long[] {50, 1}, ds.getLabelsMaskArray().shape());
        Set<Integer> lengths = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            int len = fm.getRow(i).sumNumber().intValue();
            lengths.add(len);
            assertTrue(len >= SequenceTasks.MIN_LENGTH && len <= SequenceTasks.STEPS);
            assertEquals(len, fm.getRow(i).get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, len)).sumNumber().intValue());
            if (len < SequenceTasks.STEPS) {
                INDArray padding = ds.getFeatures().get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.interval(len, SequenceTasks.STEPS));
                assertEquals(0.0, padding.norm1Number().doubleValue());
            }
        }
        assertTrue(lengths.size() > 10, "lengths vary: " + lengths);
    }

    @Test
    void sinesFeedAForecasterAndAskForTheLastValueBaseline() {
        DatasetWriter.Source src = SequenceTasks.sines(5, 30, 7, 0.1, SMALL);
        assertEquals(Task.REGRESSION, src.task());
        assertEquals("last-value", src.attributes().get("baseline"));
        DataSet ds = src.splits().get("test").batch(0, 10);
        assertArrayEquals(new long[] {10, 1, 30}, ds.getFeatures().shape());
        assertArrayEquals(new long[] {10, 7}, ds.getLabels().shape());
        // the series continues smoothly: the first target is close to the last input, relative to the series' range
        double jump = ds.getLabels().getColumn(0).sub(ds.getFeatures().get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                org.nd4j.linalg.indexing.NDArrayIndex.point(0), org.nd4j.linalg.indexing.NDArrayIndex.point(29))).norm2Number().doubleValue();
        assertTrue(jump / Math.sqrt(10) < 1.0, "step-to-step change " + jump);
    }

    @Test
    void csvSeriesIsWindowedPerSplitAndZScoredWithTheTrainPart(@TempDir Path dir) throws Exception {
        StringBuilder csv = new StringBuilder("date,value\n");
        for (int i = 0; i < 300; i++) {
            csv.append("d").append(i).append(',').append(i % 10).append('\n');
        }
        Path file = dir.resolve("series.csv");
        Files.writeString(file, csv.toString(), StandardCharsets.UTF_8);
        DatasetWriter.Source src = CsvSeries.read(new LocalStorage(), file.toString(), 8, 2);
        assertEquals(240 - 9, src.splits().get("train").size());
        assertEquals(30 - 9, src.splits().get("val").size());
        assertEquals("value", src.attributes().get("column"));
        DataSet first = src.splits().get("train").batch(0, 1);
        double mean = Double.parseDouble(src.attributes().get("mean"));
        double std = Double.parseDouble(src.attributes().get("std"));
        assertEquals((8 - mean) / std, first.getLabels().getDouble(0, 0), 1e-5); // value at t = 8
        assertEquals((0 - mean) / std, first.getFeatures().getDouble(0, 0, 0), 1e-5);
    }

    @Test
    void csvSeriesNamesABadCellWithItsLine(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.csv");
        Files.writeString(file, "t,v\n1,2\n2,x\n");
        var e = assertThrows(InputException.class, () -> CsvSeries.read(new LocalStorage(), file.toString(), 4, 1));
        assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    }

    @Test
    void digitReversalHoldsOutUniqueStringsWithTeacherForcedDecoderInputs() {
        DatasetWriter.Source src = DigitReversal.source(9, 3, 5, new SequenceTasks.Sizes(300, 50, 50));
        TokenLayout layout = new TokenLayout(DigitReversal.VOCAB, 5, 6, 1, 2, 0);
        assertEquals(Task.SEQ2SEQ, src.task());
        Set<String> train = new HashSet<>();
        for (String split : new String[] {"train", "val", "test"}) {
            DataSet ds = src.splits().get(split).batch(0, src.splits().get(split).size());
            for (int i = 0; i < ds.numExamples(); i++) {
                double[] f = ds.getFeatures().getRow(i).toDoubleVector(); // [Ts + Td]
                StringBuilder s = new StringBuilder();
                for (int t = 0; t < 5; t++) {
                    if (f[t] != DigitReversal.PAD) {
                        s.append(DigitReversal.VOCAB.charAt((int) f[t]));
                    }
                }
                int[] target = new int[6];
                for (int t = 0; t < 6; t++) {
                    target[t] = ds.getLabels().get(NDArrayIndex.point(i), NDArrayIndex.all(), NDArrayIndex.point(t)).argMax().getInt(0);
                }
                assertEquals(new StringBuilder(s).reverse().toString(), layout.decode(target));
                assertEquals(DigitReversal.BOS, (int) f[5]);
                assertEquals(target[0], (int) f[6]); // decoder input is the target shifted right
                assertEquals(s.length() + 1, ds.getLabelsMaskArray().getRow(i).sumNumber().intValue());
                if (split.equals("train")) {
                    train.add(s.toString());
                } else {
                    assertTrue(!train.contains(s.toString()), "held-out string " + s + " also in train");
                }
            }
        }
    }

    @Test
    void promptsOutsideTheVocabularyOrTooLongAreRefusedNamingTheFix() {
        TokenLayout layout = new TokenLayout(DigitReversal.VOCAB, 5, 6, 1, 2, 0);
        assertArrayEquals(new int[] {0, 0, 4, 5, 6}, layout.encodeSource("123"));
        assertTrue(assertThrows(ConfigException.class, () -> layout.encodeSource("12a")).getMessage().contains("valid: 0123456789"));
        assertTrue(assertThrows(ConfigException.class, () -> layout.encodeSource("123456")).getMessage().contains("1 to 5"));
    }

    @Test
    void sequenceDatasetsRoundTripThroughTheWriterWithTheirMasks(@TempDir Path dir) throws Exception {
        Manifest m = DatasetWriter.write(new LocalStorage(), dir.resolve("varlen").toString(), SequenceTasks.variableLength(2, SMALL), 64, 2);
        assertTrue(m.masked());
        assertArrayEquals(new int[] {16, 50}, m.featureShape());
        var report = dev.kindling.core.data.ShardCheck.report(dev.kindling.core.data.ShardCheck.checkAll(new LocalStorage(),
                dir.resolve("varlen").toString(), m), m, dir.resolve("varlen").toString(), false);
        assertTrue(report.bad().isEmpty(), report.bad().toString());
    }
}
