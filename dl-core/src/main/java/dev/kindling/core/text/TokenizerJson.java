package dev.kindling.core.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.core.io.InputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Hugging Face's {@code tokenizer.json} format for byte-level BPE, both ways.
 *
 * <p>{@link #read} accepts what GPT-2- and Llama-3-style files use, and refuses the rest naming the
 * field: model {@code BPE} (dropout null, no subword prefix or suffix, no byte fallback,
 * {@code ignore_merges} either way, merges as {@code "a b"} strings or {@code [a, b]} pairs);
 * normalizer null; pre-tokenizer {@code ByteLevel}, or a {@code Sequence} of {@code Split}s ending in
 * one {@code ByteLevel}; decoder {@code ByteLevel}; post-processor null or {@code ByteLevel} (which
 * only trims offsets); truncation and padding null; added tokens without
 * {@code single_word}/{@code lstrip}/{@code rstrip}.
 *
 * <p>{@link #write} gives a tokenizer.json for a {@link ByteLevelBpe} (the file it was read from) or a
 * {@link BytePairTokenizer}: our chunk rule as a {@code Split} regex ({@link BytePairTokenizer#CHUNK_PATTERN},
 * Isolated), then {@code ByteLevel} without prefix space or regex; byte b is id b (as its
 * {@link ByteLevelAlphabet} symbol), merge i is id 256 + i, merges in order; decoder ByteLevel. The
 * library encodes with it exactly as {@link BytePairTokenizer#encode} does.
 */
public final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Vocab ids are array indices here; no real vocabulary comes near. */
    private static final int MAX_ID = 1 << 24;

    /** @throws InputException naming the field that is malformed or unsupported, and what is supported */
    public static ByteLevelBpe read(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InputException("tokenizer.json: not JSON (" + e.getOriginalMessage() + "); pass a Hugging Face tokenizer.json");
        }
        if (root == null || !root.isObject()) {
            throw new InputException("tokenizer.json: not a JSON object; pass a Hugging Face tokenizer.json");
        }
        String version = root.path("version").asText("1.0");
        if (!version.equals("1.0")) {
            throw new InputException("tokenizer.json: version=" + version + ": unsupported; supported: 1.0");
        }
        requireNull(root, "truncation", "Kindling cuts text into windows itself");
        requireNull(root, "padding", "Kindling pads nothing");
        if (root.hasNonNull("normalizer")) {
            throw new InputException("tokenizer.json: normalizer=" + typeOf(root.get("normalizer")) + ": unsupported; supported: null (no normalizer)");
        }
        PreTokenizer preTokenizer = preTokenizer(root.get("pre_tokenizer"));
        checkPostProcessor(root.get("post_processor"), "post_processor");
        JsonNode decoder = root.get("decoder");
        if (decoder == null || !"ByteLevel".equals(decoder.path("type").asText())) {
            throw new InputException("tokenizer.json: decoder=" + typeOf(decoder) + ": unsupported; supported: ByteLevel");
        }
        JsonNode model = root.get("model");
        Map<String, Integer> vocab = vocab(model);
        BpeModel bpe = new BpeModel(vocab, merges(model), flag(model, "ignore_merges"),
                model.path("unk_token").isTextual() ? model.get("unk_token").asText() : null, flag(model, "fuse_unk"));
        List<AddedTokens.Token> added = addedTokens(root.get("added_tokens"), vocab);
        int vocabSize = 0;
        for (int id : vocab.values()) {
            vocabSize = Math.max(vocabSize, id + 1);
        }
        for (AddedTokens.Token t : added) {
            vocabSize = Math.max(vocabSize, t.id() + 1);
        }
        try {
            return new ByteLevelBpe(JSON.writeValueAsString(root), new AddedTokens(added), preTokenizer, bpe, vocab, vocabSize);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);       // a tree Jackson just read always writes
        }
    }

    /** {@link #read(String)} of a file; errors name it. */
    public static ByteLevelBpe read(Path file) throws IOException {
        String text = Files.readString(file);
        try {
            return read(text);
        } catch (InputException e) {
            String message = e.getMessage().startsWith("tokenizer.json") ? e.getMessage().substring("tokenizer.json".length()) : ": " + e.getMessage();
            throw new InputException(file + message, e);
        }
    }

    /**
     * The tokenizer.json of a {@link ByteLevelBpe} or {@link BytePairTokenizer}, pretty-printed.
     *
     * @throws InputException for a char tokenizer (it has no tokenizer.json form), or a bpe tokenizer
     *                        two of whose merges spell the same bytes (a tokenizer.json vocab maps a
     *                        string to one id)
     */
    public static String write(Tokenizer tok) {
        try {
            if (tok instanceof ByteLevelBpe hf) {
                return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(hf.json()));
            }
            if (tok instanceof BytePairTokenizer bpe) {
                return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(export(bpe));
            }
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);       // our own trees always write
        }
        throw new InputException("tokenizer kind=" + tok.kind() + ": has no tokenizer.json form; only bpe and hf-bpe do "
                + "(prepare the data with the bpe tokenizer)");
    }

    private static ObjectNode export(BytePairTokenizer bpe) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", BytePairTokenizer.CHUNK_PATTERN);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        steps.add(byteLevel());
        root.putNull("post_processor");
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        Map<String, Integer> seen = new HashMap<>();
        for (int id = 0; id < bpe.vocabSize(); id++) {
            String token = ByteLevelAlphabet.symbols(bpe.tokenBytes(id));
            Integer before = seen.putIfAbsent(token, id);
            if (before != null) {
                throw new InputException("bpe tokenizer: ids " + before + " and " + id + " both spell '" + token
                        + "'; a tokenizer.json vocab maps a string to one id, so this tokenizer has no tokenizer.json form (re-train it)");
            }
            vocab.put(token, id);
        }
        ArrayNode merges = model.putArray("merges");
        for (int[] m : bpe.merges()) {
            // byte-level symbols are never a space, so "a b" is unambiguous and every library version reads it
            merges.add(ByteLevelAlphabet.symbols(bpe.tokenBytes(m[0])) + " " + ByteLevelAlphabet.symbols(bpe.tokenBytes(m[1])));
        }
        return root;
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = JSON.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", false);
        n.put("use_regex", false);
        return n;
    }

    private static PreTokenizer preTokenizer(JsonNode node) {
        List<PreTokenizer> steps = new ArrayList<>();
        flatten(node, "pre_tokenizer", steps);
        int byteLevels = (int) steps.stream().filter(s -> s instanceof PreTokenizer.ByteLevel).count();
        if (byteLevels != 1 || !(steps.get(steps.size() - 1) instanceof PreTokenizer.ByteLevel)) {
            throw new InputException("tokenizer.json: pre_tokenizer has " + byteLevels + " ByteLevel steps" + (byteLevels == 1 ? ", not last" : "")
                    + ": unsupported; supported: ByteLevel, or a Sequence of Splits ending in one ByteLevel");
        }
        return steps.size() == 1 ? steps.get(0) : new PreTokenizer.Sequence(steps);
    }

    private static void flatten(JsonNode node, String where, List<PreTokenizer> steps) {
        String type = typeOf(node);
        switch (type) {
            case "ByteLevel" -> steps.add(new PreTokenizer.ByteLevel(node.path("add_prefix_space").asBoolean(true),
                    node.path("use_regex").asBoolean(true)));
            case "Split" -> steps.add(split(node, where));
            case "Sequence" -> {
                JsonNode list = node.path("pretokenizers");
                for (int i = 0; i < list.size(); i++) {
                    flatten(list.get(i), where + ".pretokenizers[" + i + "]", steps);
                }
            }
            default -> throw new InputException("tokenizer.json: " + where + "=" + type + ": unsupported; supported: ByteLevel, Split, Sequence");
        }
    }

    private static PreTokenizer split(JsonNode node, String where) {
        JsonNode pattern = node.path("pattern");
        String regex;
        if (pattern.path("Regex").isTextual()) {
            regex = pattern.get("Regex").asText();
        } else if (pattern.path("String").isTextual()) {
            regex = Pattern.quote(pattern.get("String").asText());
        } else {
            throw new InputException("tokenizer.json: " + where + ".pattern=" + pattern + ": expected {\"Regex\": ...} or {\"String\": ...}");
        }
        Map<String, PreTokenizer.Behavior> behaviors = new LinkedHashMap<>();
        behaviors.put("Removed", PreTokenizer.Behavior.REMOVED);
        behaviors.put("Isolated", PreTokenizer.Behavior.ISOLATED);
        behaviors.put("MergedWithPrevious", PreTokenizer.Behavior.MERGED_WITH_PREVIOUS);
        behaviors.put("MergedWithNext", PreTokenizer.Behavior.MERGED_WITH_NEXT);
        behaviors.put("Contiguous", PreTokenizer.Behavior.CONTIGUOUS);
        String behavior = node.path("behavior").asText();
        if (!behaviors.containsKey(behavior)) {
            throw new InputException("tokenizer.json: " + where + ".behavior=" + behavior + ": unknown; valid: " + String.join(", ", behaviors.keySet()));
        }
        try {
            return new PreTokenizer.Split(PreTokenizer.compile(regex), behaviors.get(behavior), node.path("invert").asBoolean(false));
        } catch (PatternSyntaxException e) {
            throw new InputException("tokenizer.json: " + where + ".pattern " + regex + ": not a Java regex (" + e.getDescription()
                    + "); Kindling reads Oniguruma patterns with java.util.regex");
        }
    }

    private static void checkPostProcessor(JsonNode node, String where) {
        String type = typeOf(node);
        switch (type) {
            case "null", "ByteLevel" -> { }
            case "Sequence" -> {
                JsonNode list = node.path("processors");
                for (int i = 0; i < list.size(); i++) {
                    checkPostProcessor(list.get(i), where + ".processors[" + i + "]");
                }
            }
            default -> throw new InputException("tokenizer.json: " + where + "=" + type + ": unsupported (it would add ids to every "
                    + "text); supported: null, ByteLevel; set it to null and put such tokens in the text");
        }
    }

    private static Map<String, Integer> vocab(JsonNode model) {
        if (model == null || !"BPE".equals(model.path("type").asText())) {
            throw new InputException("tokenizer.json: model.type=" + typeOf(model) + ": unsupported; supported: BPE");
        }
        JsonNode dropout = model.path("dropout");
        if (!dropout.isMissingNode() && !dropout.isNull() && dropout.asDouble() != 0) {
            throw new InputException("tokenizer.json: model.dropout=" + dropout + ": unsupported (merges would be random); supported: null");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            JsonNode v = model.path(field);
            if (v.isTextual() && !v.asText().isEmpty()) {
                throw new InputException("tokenizer.json: model." + field + "=" + v + ": unsupported in byte-level BPE; supported: null or \"\"");
            }
        }
        if (flag(model, "byte_fallback")) {
            throw new InputException("tokenizer.json: model.byte_fallback=true: unsupported (a SentencePiece-style option); supported: false");
        }
        JsonNode vocab = model.path("vocab");
        if (!vocab.isObject()) {
            throw new InputException("tokenizer.json: model.vocab is missing or not an object of token -> id");
        }
        Map<String, Integer> out = new HashMap<>();
        Map<Integer, String> byId = new HashMap<>();
        var fields = vocab.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || id.asInt() < 0 || id.asInt() >= MAX_ID) {
                throw new InputException("tokenizer.json: model.vocab['" + e.getKey() + "']=" + id + ": ids must be integers in [0, " + MAX_ID + ")");
            }
            String other = byId.put(id.asInt(), e.getKey());
            if (other != null) {
                throw new InputException("tokenizer.json: model.vocab gives id " + id + " to both '" + other + "' and '" + e.getKey()
                        + "'; each id must name one token");
            }
            out.put(e.getKey(), id.asInt());
        }
        return out;
    }

    /** Merges in rank order; "a b" strings (lines starting "#version" skipped, as the library does) or [a, b] pairs. */
    private static String[][] merges(JsonNode model) {
        JsonNode merges = model.path("merges");
        if (!merges.isArray()) {
            throw new InputException("tokenizer.json: model.merges is missing or not an array");
        }
        List<String[]> out = new ArrayList<>();
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            if (m.isTextual()) {
                if (m.asText().startsWith("#version")) {
                    continue;
                }
                String[] parts = m.asText().split(" ", -1);
                if (parts.length != 2) {
                    throw new InputException("tokenizer.json: model.merges[" + i + "]=" + m + ": expected two tokens separated by one space");
                }
                out.add(parts);
            } else if (m.isArray() && m.size() == 2 && m.get(0).isTextual() && m.get(1).isTextual()) {
                out.add(new String[] {m.get(0).asText(), m.get(1).asText()});
            } else {
                throw new InputException("tokenizer.json: model.merges[" + i + "]=" + m + ": expected \"a b\" or [\"a\", \"b\"]");
            }
        }
        return out.toArray(new String[0][]);
    }

    /**
     * The added tokens, checked to have the ids the library gives them when it loads the file: the
     * vocab's id for a token already in it, else the next id from the vocab's size on, in file order.
     * (The library ignores the ids written in the file, so a file that disagrees would encode
     * differently there; it is refused rather than guessed at.)
     */
    private static List<AddedTokens.Token> addedTokens(JsonNode list, Map<String, Integer> vocab) {
        List<AddedTokens.Token> out = new ArrayList<>();
        if (list == null || list.isNull()) {
            return out;
        }
        Map<String, Integer> given = new HashMap<>();
        int next = vocab.size();
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            String where = "added_tokens[" + i + "]";
            String content = t.path("content").asText("");
            if (content.isEmpty()) {
                throw new InputException("tokenizer.json: " + where + ".content is empty or missing");
            }
            for (String option : new String[] {"single_word", "lstrip", "rstrip"}) {
                if (flag(t, option)) {
                    throw new InputException("tokenizer.json: " + where + " '" + content + "' has " + option
                            + "=true: unsupported; supported: added tokens with single_word, lstrip and rstrip false");
                }
            }
            Integer id = given.get(content);
            if (id == null) {
                id = vocab.containsKey(content) ? vocab.get(content) : next++;
                given.put(content, id);
            }
            if (t.path("id").asInt(-1) != id) {
                throw new InputException("tokenizer.json: " + where + " '" + content + "' has id " + t.path("id") + ", but Hugging Face "
                        + "tokenizers gives it id " + id + " (the vocab's id, else the next after the vocab's " + vocab.size()
                        + " tokens in file order); correct the id");
            }
            boolean special = flag(t, "special");
            out.add(new AddedTokens.Token(content, id, t.path("normalized").asBoolean(!special)));
        }
        return out;
    }

    private static void requireNull(JsonNode root, String field, String why) {
        JsonNode v = root.get(field);
        if (v != null && !v.isNull()) {
            throw new InputException("tokenizer.json: " + field + "=" + v + ": unsupported (" + why + "); set it to null");
        }
    }

    private static boolean flag(JsonNode node, String field) {
        return node.path(field).asBoolean(false);
    }

    private static String typeOf(JsonNode node) {
        return node == null || node.isNull() ? "null" : node.path("type").asText("(no type)");
    }

    private TokenizerJson() {}
}
