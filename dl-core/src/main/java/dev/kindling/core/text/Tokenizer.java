package dev.kindling.core.text;

import dev.kindling.core.io.InputException;

/**
 * Text to token ids and back, exactly: {@code decode(encode(s)).equals(s)} for every string the
 * tokenizer can encode. Saved as text ({@link #serialize()}) in the dataset's manifest and therefore in
 * every model.zip trained on it, so generation decodes with the tokenizer the model was trained with.
 */
public interface Tokenizer {
    /** Token ids are in [0, vocabSize). */
    int vocabSize();

    int[] encode(String text);

    String decode(int[] ids);

    /** "char", "bpe" or "hf-bpe". */
    String kind();

    /** First line the kind, then the kind's own lines; {@link #parse} reads it back. */
    String serialize();

    static Tokenizer parse(String text) {
        int nl = text.indexOf('\n');
        String kind = nl < 0 ? text : text.substring(0, nl);
        String body = nl < 0 ? "" : text.substring(nl + 1);
        return switch (kind) {
            case CharTokenizer.KIND -> CharTokenizer.parseBody(body);
            case BytePairTokenizer.KIND -> BytePairTokenizer.parseBody(body);
            case ByteLevelBpe.KIND -> ByteLevelBpe.parseBody(body);
            default -> throw new InputException("tokenizer kind '" + kind + "': unknown; valid: char, bpe, hf-bpe (re-run prepare-data)");
        };
    }
}
