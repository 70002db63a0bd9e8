package dev.kindling.core.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE tokenizer driven by a Hugging Face {@code tokenizer.json} (GPT-2, Llama 3 and
 * their kin), encoding as the Hugging Face tokenizers library does: added tokens are cut out first
 * ({@link AddedTokens}), the rest is pre-tokenized ({@link PreTokenizer}, ending in ByteLevel) and
 * each pre-token merged by the BPE model ({@link BpeModel}). Decoding is the ByteLevel decoder's: a
 * token all of whose characters are byte symbols is those bytes, any other token its own UTF-8, and
 * the bytes are read as UTF-8 with U+FFFD for what is not. Ids absent from the vocab decode to
 * nothing, as in the library. {@code decode(encode(s))} is {@code s} except where the library's is
 * not either: with {@code add_prefix_space} (a space before each text) or an {@code <unk>}. Build it
 * with {@link TokenizerJson#read(String)}.
 *
 * <p>Serialized as the kind line {@code hf-bpe} followed by the {@code tokenizer.json} (compact), so
 * manifests and model.zip files carry it and {@link #decode} works from them.
 */
public final class ByteLevelBpe implements Tokenizer {
    static final String KIND = "hf-bpe";
    private final String json;
    private final AddedTokens added;
    private final PreTokenizer preTokenizer;
    private final BpeModel model;
    private final byte[][] bytes;                 // id -> what it decodes to (null: not a token)

    ByteLevelBpe(String json, AddedTokens added, PreTokenizer preTokenizer, BpeModel model, Map<String, Integer> vocab, int vocabSize) {
        this.json = json;
        this.added = added;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.bytes = new byte[vocabSize][];
        vocab.forEach((token, id) -> bytes[id] = decoded(token));
        for (int id = 0; id < vocabSize; id++) {
            String content = added.content(id);
            if (content != null) {
                bytes[id] = decoded(content);
            }
        }
    }

    private static byte[] decoded(String token) {
        byte[] b = ByteLevelAlphabet.bytes(token);
        return b != null ? b : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int vocabSize() {
        return bytes.length;
    }

    @Override
    public int[] encode(String text) {
        List<int[]> parts = new ArrayList<>();
        for (AddedTokens.Segment segment : added.split(text)) {
            if (segment.isToken()) {
                parts.add(new int[] {segment.id()});
                continue;
            }
            for (String piece : preTokenizer.apply(List.of(segment.text()))) {
                parts.add(model.tokenize(piece));
            }
        }
        return TokenIds.concat(parts);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id >= 0 && id < bytes.length && bytes[id] != null) {
                out.writeBytes(bytes[id]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public String kind() {
        return KIND;
    }

    /** "hf-bpe", then the tokenizer.json on one line. */
    @Override
    public String serialize() {
        return KIND + "\n" + json;
    }

    /** The pre-tokens of {@code text} alone, added tokens not cut out (the library's pre_tokenize_str). */
    List<String> preTokenize(String text) {
        return preTokenizer.apply(List.of(text));
    }

    /** The tokenizer.json this was read from, compact. */
    String json() {
        return json;
    }

    static ByteLevelBpe parseBody(String body) {
        return TokenizerJson.read(body);
    }
}
