package dev.kindling.core.text;

import dev.kindling.core.io.InputException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Character-level vocabulary, the seed's {@code chars = sorted(set(text))}: one id per distinct code
 * point of the training text, in code point order.
 */
public final class CharTokenizer implements Tokenizer {
    static final String KIND = "char";
    private final int[] codePoints; // id -> code point, ascending
    private final Map<Integer, Integer> ids = new HashMap<>();

    private CharTokenizer(int[] codePoints) {
        this.codePoints = codePoints;
        for (int i = 0; i < codePoints.length; i++) {
            ids.put(codePoints[i], i);
        }
    }

    /** The vocabulary of {@code text}. */
    public static CharTokenizer train(String text) {
        int[] cps = text.codePoints().distinct().sorted().toArray();
        if (cps.length < 2) {
            throw new InputException("text of " + text.length() + " chars has " + cps.length + " distinct characters: a language model needs >= 2");
        }
        return new CharTokenizer(cps);
    }

    @Override
    public int vocabSize() {
        return codePoints.length;
    }

    @Override
    public int[] encode(String text) {
        return text.codePoints().map(cp -> {
            Integer id = ids.get(cp);
            if (id == null) {
                throw new InputException("character '" + new String(Character.toChars(cp)) + "' (U+" + Integer.toHexString(cp).toUpperCase()
                        + ") is not in the model's character vocabulary of " + codePoints.length + "; remove it from the prompt");
            }
            return id;
        }).toArray();
    }

    @Override
    public String decode(int[] tokenIds) {
        StringBuilder sb = new StringBuilder(tokenIds.length);
        for (int id : tokenIds) {
            sb.appendCodePoint(codePoints[id]);
        }
        return sb.toString();
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** "char", then the code points in hex, space-separated. */
    @Override
    public String serialize() {
        return KIND + "\n" + Arrays.stream(codePoints).mapToObj(Integer::toHexString).collect(Collectors.joining(" "));
    }

    static CharTokenizer parseBody(String body) {
        try {
            return new CharTokenizer(Arrays.stream(body.trim().split(" ")).mapToInt(s -> Integer.parseInt(s, 16)).toArray());
        } catch (NumberFormatException e) {
            throw new InputException("char tokenizer: unreadable vocabulary (" + e.getMessage() + "); re-run prepare-data");
        }
    }
}
