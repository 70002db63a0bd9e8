package dev.kindling.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Task;
import dev.kindling.core.io.InputException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;

class TokenWindowsTest {

    private static String corpus(int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < n; i++) {
            sb.append((char) ('a' + i % 7));
        }
        return sb.toString();
    }

    @Test
    void labelsAreTheFeaturesShiftedByOneToken() {
        String text = corpus(2000);
        CharTokenizer tok = CharTokenizer.train(text);
        DatasetWriter.Source src = TokenWindows.source("t", "mem", text, tok, 8, 4, 1);
        assertEquals(Task.LANGUAGE_MODEL, src.task());
        assertArrayEquals(new int[] {8}, src.featureShape());
        assertArrayEquals(new int[] {8}, src.labelShape());
        assertEquals(7, src.numClasses());
        for (String split : new String[] {"train", "val", "test"}) {
            DataSet b = src.splits().get(split).batch(0, 2);
            INDArray f = b.getFeatures(), l = b.getLabels();
            for (int t = 0; t < 7; t++) {
                assertEquals(f.getDouble(0, t + 1), l.getDouble(0, t), split);
            }
            // the corpus cycles through 7 letters: the label is always the next letter
            assertEquals((f.getDouble(1, 7) + 1) % 7, l.getDouble(1, 7), 0.0, split);
        }
        // 90% of 2000 tokens in non-overlapping windows of 8 (+1 target), holdouts capped at 4
        assertEquals((1800 - 1) / 8, src.splits().get("train").size());
        assertEquals(4, src.splits().get("val").size());
        assertEquals(4, src.splits().get("test").size());
        assertEquals(tok.serialize(), src.attributes().get(TokenWindows.TOKENIZER));
        assertEquals(Math.log(7), Double.parseDouble(src.attributes().get("uniform_loss")), 1e-12);
    }

    @Test
    void unigramBaselineIsTheEntropyOfAUniformCycle() {
        String text = corpus(70_000);
        DatasetWriter.Source src = TokenWindows.source("t", "mem", text, CharTokenizer.train(text), 16, 4, 1);
        assertEquals(Math.log(7), Double.parseDouble(src.attributes().get("unigram_val_loss")), 1e-3);
    }

    @Test
    void corpusTooShortForItsHoldoutsIsAnErrorWithTheFix() {
        String text = corpus(100);
        var e = assertThrows(InputException.class, () -> TokenWindows.source("t", "mem", text, CharTokenizer.train(text), 16, 4, 1));
        assertTrue(e.getMessage().contains("--seq-len"), e.getMessage());
    }
}
