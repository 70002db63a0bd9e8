package dev.kindling.core.text;

import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.data.Task;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A generated text classification task for the encoder classifier: sentences of 4 to T words, each
 * word a filler word or (with probability 0.35) a word of the sentence's topic, sometimes (0.1) a word
 * of another topic; the label is the topic. Word-level ids, 0 is padding; sentences are padded to T.
 * 4,000 / 500 / 500 examples.
 */
public final class TopicSentences {
    public static final List<String> TOPICS = List.of("field", "sea", "war", "temple");
    private static final String[][] TOPIC_WORDS = {
        {"seed", "harvest", "vine", "ox", "plough", "barley"},
        {"ship", "wave", "fish", "net", "shore", "storm"},
        {"sword", "shield", "battle", "army", "spear", "chariot"},
        {"altar", "priest", "incense", "offering", "ark", "psalm"}};
    private static final String[] FILLER = {"the", "and", "of", "a", "in", "he", "they", "went", "came", "saw", "unto", "his"};

    /** Word list, index = id (0 is the padding word). */
    public static List<String> vocabulary() {
        List<String> v = new ArrayList<>();
        v.add("<pad>");
        for (String[] t : TOPIC_WORDS) {
            v.addAll(List.of(t));
        }
        v.addAll(List.of(FILLER));
        return v;
    }

    public static DatasetWriter.Source source(int seqLen, long seed) {
        if (seqLen < 4) {
            throw new IllegalArgumentException("seq-len=" + seqLen + ": topic sentences have 4 or more words");
        }
        Random r = new Random(seed);
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", rows(4000, seqLen, r));
        splits.put("val", rows(500, seqLen, r));
        splits.put("test", rows(500, seqLen, r));
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("vocab_size", Integer.toString(vocabulary().size()));
        attributes.put("words", String.join(" ", vocabulary()));
        attributes.put("padding_id", "0");
        return new DatasetWriter.Source("topics", "generated", Task.CLASSIFICATION, new int[] {seqLen}, new int[] {TOPICS.size()},
                TOPICS.size(), false, TOPICS, false, attributes, splits);
    }

    private static ArrayRows rows(int n, int seqLen, Random r) {
        int k = TOPICS.size();
        int per = TOPIC_WORDS[0].length;
        float[] f = new float[n * seqLen];
        float[] l = new float[n * k];
        for (int i = 0; i < n; i++) {
            int topic = r.nextInt(k);
            int len = 4 + r.nextInt(seqLen - 3);
            int anchor = r.nextInt(len); // at least one word of the topic
            for (int t = 0; t < len; t++) {
                double u = r.nextDouble();
                int id;
                if (t == anchor || u < 0.35) {
                    id = 1 + topic * per + r.nextInt(per);
                } else if (u < 0.45) {
                    id = 1 + ((topic + 1 + r.nextInt(k - 1)) % k) * per + r.nextInt(per);
                } else {
                    id = 1 + k * per + r.nextInt(FILLER.length);
                }
                f[i * seqLen + t] = id;
            }
            l[i * k + topic] = 1f;
        }
        return new ArrayRows(new int[] {seqLen}, f, new int[] {k}, l);
    }

    private TopicSentences() {}
}
