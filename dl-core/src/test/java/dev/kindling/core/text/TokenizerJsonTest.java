package dev.kindling.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.core.io.InputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * tokenizer.json import and export, checked against Hugging Face tokenizers itself: the fixtures in
 * {@code src/test/resources/tokenizer-json/} and the ids, decoded texts and pre-tokens the library
 * produced for them were written by {@code make-fixture.mjs} (run by hand, not in CI).
 */
class TokenizerJsonTest {
    private static final String FIXTURES = "/tokenizer-json/";
    private static final String EXPORTED = "kindling-bpe.tokenizer.json";
    /** Set to rewrite kindling-bpe.tokenizer.json from the current export, before running make-fixture.mjs. */
    private static final String REGENERATE = "kindling.regenerateFixtures";
    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(strings = {"gpt2.tokenizer.json", "gpt2-prefix-space.tokenizer.json", "split.tokenizer.json",
        "unk-fused-splits.tokenizer.json", "unk-splits.tokenizer.json", EXPORTED})
    void encodesAndDecodesAsHuggingFaceTokenizers(String file) throws IOException {
        ByteLevelBpe tok = TokenizerJson.read(resource(file));
        JsonNode expected = expected().path("tokenizers").path(file);
        List<String> texts = strings(expected().path("texts"));
        assertEquals(texts.size(), expected.path("ids").size(), file + ": the fixture has ids for every text");
        for (int i = 0; i < texts.size(); i++) {
            int[] ids = ints(expected.path("ids").get(i));
            assertArrayEquals(ids, tok.encode(texts.get(i)), file + ": ids of " + JSON.writeValueAsString(texts.get(i)));
            assertEquals(expected.path("decoded").get(i).asText(), tok.decode(ids), file + ": decode of text " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2.tokenizer.json", "gpt2-prefix-space.tokenizer.json", "split.tokenizer.json",
        "unk-fused-splits.tokenizer.json", EXPORTED})
    void preTokenizesAsHuggingFaceTokenizers(String file) throws IOException {
        ByteLevelBpe tok = TokenizerJson.read(resource(file));
        JsonNode expected = expected().path("tokenizers").path(file);
        List<String> texts = strings(expected().path("texts"));
        for (int i = 0; i < texts.size(); i++) {
            assertEquals(strings(expected.path("preTokens").get(i)), tok.preTokenize(texts.get(i)),
                    file + ": pre-tokens of " + JSON.writeValueAsString(texts.get(i)));
        }
    }

    /** The required round trip: our bpe tokenizer, written as tokenizer.json and read back, gives the same ids. */
    @Test
    void bpeWrittenAsTokenizerJsonAndReadBackEncodesIdentically() {
        BytePairTokenizer bpe = trainedBpe();
        Tokenizer back = TokenizerJson.read(TokenizerJson.write(bpe));
        assertEquals(bpe.vocabSize(), back.vocabSize());
        List<String> texts = new ArrayList<>(strings(expected().path("texts")));
        texts.add(variedText(7, 400));                         // held out: not the training text
        texts.add(variedText(23, 400));                        // the training text
        for (String text : texts) {
            int[] ids = bpe.encode(text);
            assertArrayEquals(ids, back.encode(text), () -> "ids of " + text);
            assertEquals(text, back.decode(ids));
        }
    }

    @Test
    void exportedBpeEncodesAsHuggingFaceTokenizersDoesWithIt() {
        BytePairTokenizer bpe = trainedBpe();
        JsonNode expected = expected().path("tokenizers").path(EXPORTED);
        List<String> texts = strings(expected().path("texts"));
        for (int i = 0; i < texts.size(); i++) {
            assertArrayEquals(ints(expected.path("ids").get(i)), bpe.encode(texts.get(i)), "ids of text " + i);
            List<String> chunks = BytePairTokenizer.chunks(texts.get(i)).stream().map(ByteLevelAlphabet::symbols).collect(Collectors.toList());
            assertEquals(strings(expected.path("preTokens").get(i)), chunks, "the library's Split cuts text " + i + " as chunks() does");
        }
    }

    /**
     * The fixture the library encoded with is what {@link TokenizerJson#write} gives today; with
     * {@code -Dkindling.regenerateFixtures=true} it is rewritten instead (then run make-fixture.mjs).
     */
    @Test
    void exportedBpeIsTheFixtureTheLibraryEncodedWith() throws IOException {
        String written = TokenizerJson.write(trainedBpe()) + "\n";
        if (Boolean.getBoolean(REGENERATE)) {
            Files.writeString(Path.of("src/test/resources/tokenizer-json", EXPORTED), written);
            return;
        }
        assertEquals(resource(EXPORTED), written, "the export changed: run this test with -D" + REGENERATE
                + "=true, then make-fixture.mjs (see its header), and commit both");
    }

    /** Java's regex knows the JDK's Unicode tables, as chunks() does: they agree on every code point. */
    @Test
    void chunkPatternCutsAsChunksDoOnEveryCodePoint() {
        StringBuilder sb = new StringBuilder();
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            if (cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE) {
                sb.append(cp % 3 == 0 ? " " : "").appendCodePoint(cp).appendCodePoint(cp);
            }
        }
        String text = sb.toString();
        assertEquals(BytePairTokenizer.chunks(text),
                PreTokenizer.Split.cut(text, PreTokenizer.compile(BytePairTokenizer.CHUNK_PATTERN), PreTokenizer.Behavior.ISOLATED, false));
    }

    /**
     * Where Java 17's Unicode 13 lacks a letter or digit that the library's Unicode 15 has, chunks()
     * and the library cut differently (BytePairTokenizer.CHUNK_PATTERN's note); on a JDK that knows
     * them they agree.
     */
    @Test
    void chunksDifferFromTheLibraryOnlyWhereTheJdkLacksTheUnicodeCategory() {
        JsonNode expected = expected().path("tokenizers").path(EXPORTED).path("newerUnicode");
        List<String> texts = strings(expected().path("newerUnicodeTexts"));
        boolean jdkKnows = Character.isLetter(0x0870) && Character.isDigit(0x1E4F0);
        for (int i = 0; i < texts.size(); i++) {
            List<String> chunks = BytePairTokenizer.chunks(texts.get(i)).stream().map(ByteLevelAlphabet::symbols).collect(Collectors.toList());
            List<String> library = strings(expected.path("preTokens").get(i));
            if (jdkKnows) {
                assertEquals(library, chunks);
            } else {
                assertNotEquals(library, chunks);
            }
        }
    }

    /** The library's own examples (split.rs), pattern \w+|[^\w\s]+ inverted, one for each behavior. */
    @Test
    void splitBehavesAsInTheLibrarysOwnTests() {
        var pattern = PreTokenizer.compile("\\w+|[^\\w\\s]+");
        String text = "How are you doing?";
        assertEquals(List.of("How", "are", "you", "doing", "?"), PreTokenizer.Split.cut(text, pattern, PreTokenizer.Behavior.REMOVED, true));
        assertEquals(List.of("How", " ", "are", " ", "you", " ", "doing", "?"),
                PreTokenizer.Split.cut(text, pattern, PreTokenizer.Behavior.ISOLATED, true));
        assertEquals(List.of("How ", "are ", "you ", "doing", "?"),
                PreTokenizer.Split.cut(text, pattern, PreTokenizer.Behavior.MERGED_WITH_PREVIOUS, true));
        assertEquals(List.of("How", " are", " you", " doing", "?"),
                PreTokenizer.Split.cut(text, pattern, PreTokenizer.Behavior.MERGED_WITH_NEXT, true));
        assertEquals(List.of("How", " ", "are", " ", "you", " ", "doing?"),
                PreTokenizer.Split.cut(text, pattern, PreTokenizer.Behavior.CONTIGUOUS, true));
    }

    @Test
    void byteLevelAlphabetIsGpt2s() {
        assertEquals('Ġ', ByteLevelAlphabet.symbol(' '));
        assertEquals('Ċ', ByteLevelAlphabet.symbol('\n'));
        assertEquals('!', ByteLevelAlphabet.symbol('!'));
        assertEquals('Ń', ByteLevelAlphabet.symbol(0xAD));     // the soft hyphen, the last byte that moves
        assertEquals(256, IntStream.range(0, 256).map(ByteLevelAlphabet::symbol).distinct().count());
        for (int b = 0; b < 256; b++) {
            assertEquals(b, ByteLevelAlphabet.byteOf(ByteLevelAlphabet.symbol(b)));
        }
        assertEquals(-1, ByteLevelAlphabet.byteOf(' '));
    }

    @Test
    void hfBpeSurvivesSerializationAsATokenizerKind() throws IOException {
        ByteLevelBpe tok = TokenizerJson.read(resource("split.tokenizer.json"));
        String serialized = tok.serialize();
        assertEquals("hf-bpe", serialized.substring(0, serialized.indexOf('\n')));
        assertEquals(2, serialized.split("\n").length, "the kind line and the JSON on one line");
        Tokenizer back = Tokenizer.parse(serialized);
        assertEquals("hf-bpe", back.kind());
        assertEquals(tok.vocabSize(), back.vocabSize());
        String text = variedText(5, 50) + "<|begin_of_text|>[[user]] I use Kindling";
        assertArrayEquals(tok.encode(text), back.encode(text));
        assertEquals(JSON.readTree(resource("split.tokenizer.json")), JSON.readTree(TokenizerJson.write(back)));
    }

    @Test
    void vocabSizeCoversTheAddedTokens() throws IOException {
        ByteLevelBpe tok = TokenizerJson.read(resource("split.tokenizer.json"));
        JsonNode json = JSON.readTree(resource("split.tokenizer.json"));
        assertEquals(json.path("model").path("vocab").size() + json.path("added_tokens").size(), tok.vocabSize());
        assertArrayEquals(new int[] {tok.vocabSize() - 1}, tok.encode("[[user]]"));
    }

    @Test
    void charTokenizerHasNoTokenizerJson() {
        var e = assertThrows(InputException.class, () -> TokenizerJson.write(CharTokenizer.train("abc")));
        assertTrue(e.getMessage().contains("kind=char"), e.getMessage());
    }

    @Test
    void readingAFileNamesItInErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        ObjectNode json = (ObjectNode) JSON.readTree(resource("split.tokenizer.json"));
        ((ObjectNode) json.get("model")).put("type", "WordPiece");
        Files.writeString(file, JSON.writeValueAsString(json));
        var e = assertThrows(InputException.class, () -> TokenizerJson.read(file));
        assertTrue(e.getMessage().startsWith(file + ": model.type=WordPiece"), e.getMessage());
    }

    /** What is not implemented is refused, naming the field and what is supported. */
    @ParameterizedTest
    @ValueSource(strings = {"normalizer", "dropout", "model type", "post_processor", "lstrip", "byte_fallback", "added id",
        "merge token", "pre_tokenizer", "byte level twice", "decoder", "truncation", "subword prefix", "not json"})
    void refusesWhatItDoesNotImplementNamingTheField(String change) throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(resource("split.tokenizer.json"));
        ObjectNode model = (ObjectNode) json.get("model");
        ArrayNode steps = (ArrayNode) json.get("pre_tokenizer").get("pretokenizers");
        Consumer<ObjectNode> edit = switch (change) {
            case "normalizer" -> j -> j.putObject("normalizer").put("type", "NFC");
            case "dropout" -> j -> model.put("dropout", 0.1);
            case "model type" -> j -> model.put("type", "WordPiece");
            case "post_processor" -> j -> j.putObject("post_processor").put("type", "TemplateProcessing");
            case "lstrip" -> j -> ((ObjectNode) j.get("added_tokens").get(0)).put("lstrip", true);
            case "byte_fallback" -> j -> model.put("byte_fallback", true);
            case "added id" -> j -> ((ObjectNode) j.get("added_tokens").get(0)).put("id", 3);
            case "merge token" -> j -> ((ArrayNode) model.get("merges")).insertArray(0).add("Ġ").add("no-such-token");
            case "pre_tokenizer" -> j -> steps.insertObject(0).put("type", "Whitespace");
            case "byte level twice" -> j -> steps.insert(0, steps.get(1).deepCopy());
            case "decoder" -> j -> j.putNull("decoder");
            case "truncation" -> j -> j.putObject("truncation").put("max_length", 512);
            case "subword prefix" -> j -> model.put("continuing_subword_prefix", "##");
            default -> j -> { };
        };
        edit.accept(json);
        String text = change.equals("not json") ? "{\"model\": " : JSON.writeValueAsString(json);
        String expectedWord = switch (change) {
            case "normalizer" -> "NFC";
            case "dropout" -> "dropout";
            case "model type" -> "WordPiece";
            case "post_processor" -> "TemplateProcessing";
            case "lstrip" -> "lstrip";
            case "byte_fallback" -> "byte_fallback";
            case "added id" -> "gives it id";
            case "merge token" -> "no-such-token";
            case "pre_tokenizer" -> "Whitespace";
            case "byte level twice" -> "2 ByteLevel";
            case "decoder" -> "decoder=null";
            case "truncation" -> "truncation";
            case "subword prefix" -> "continuing_subword_prefix";
            default -> "not JSON";
        };
        var e = assertThrows(InputException.class, () -> TokenizerJson.read(text));
        assertTrue(e.getMessage().contains(expectedWord) && e.getMessage().startsWith("tokenizer.json"), e.getMessage());
    }

    @Test
    void symbolMissingFromAVocabWithoutUnkIsAnErrorNotADroppedByte() throws IOException {
        ObjectNode json = (ObjectNode) JSON.readTree(resource("unk-splits.tokenizer.json"));
        ((ObjectNode) json.get("model")).putNull("unk_token");
        ByteLevelBpe tok = TokenizerJson.read(JSON.writeValueAsString(json));
        assertArrayEquals(tok.encode("the"), TokenizerJson.read(resource("unk-splits.tokenizer.json")).encode("the"));
        var e = assertThrows(InputException.class, () -> tok.encode("café"));
        assertTrue(e.getMessage().contains("0xc3"), e.getMessage());
    }

    /** Our bpe tokenizer as exported to kindling-bpe.tokenizer.json: trained on variedText(23, 400). */
    private static BytePairTokenizer trainedBpe() {
        return BytePairTokenizer.train(variedText(23, 400), 600);
    }

    /** Sentences of words from several scripts, contractions, numbers, emoji and every kind of space. */
    static String variedText(long seed, int sentences) {
        String[] words = {"the", "and", "of", "to", "in", "a", "is", "that", "it", "was", "he", "they", "world", "hello", "there",
            "quick", "brown", "fox", "lazy", "dog", "line", "token", "model", "text", "trainer", "Kindling"};
        String[] other = {"it's", "I'm", "don't", "they'll", "café", "naïve", "Zürich", "señor", "Ærøskøbing", "e\u0301", "日本語",
            "テキスト", "中文", "한국어", "русский", "Ελληνικά", "ﬁ", "ß", "İstanbul", "Ǆemal", "ʰ", "𝐀𝐁𝐂", "👍🏽", "👨\u200d👩\u200d👧",
            "🇫🇷", "😀", "٣٤٥", "१२३", "１２３", "²", "½", "Ⅻ", "3.14", "1,000", "<|endoftext|>", "!!!", "--", "@#$"};
        String[] spaces = {" ", " ", " ", " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000"};
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < sentences; s++) {
            int n = 3 + r.nextInt(12);
            for (int i = 0; i < n; i++) {
                double u = r.nextDouble();
                sb.append(u < 0.7 ? words[r.nextInt(words.length)] : u < 0.9 ? other[r.nextInt(other.length)] : String.valueOf(r.nextInt(100000)));
                sb.append(i + 1 < n ? spaces[r.nextInt(spaces.length)] : ".");
            }
            sb.append(r.nextDouble() < 0.2 ? "\n" : " ");
        }
        return sb.toString();
    }

    private static JsonNode expectedTree;

    private static JsonNode expected() {
        if (expectedTree == null) {
            try {
                expectedTree = JSON.readTree(resource("expected-ids.json"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return expectedTree;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = TokenizerJsonTest.class.getResourceAsStream(FIXTURES + name)) {
            if (in == null) {
                throw new IOException(FIXTURES + name + " is missing from the test resources");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
