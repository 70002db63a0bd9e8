package dev.kindling.core.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.io.InputException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TokenizerTest {
    private static final String CORPUS = "In the beginning God created the heaven and the earth.\n"
            + "And the earth was without form, and void; and darkness was upon the face of the deep.\n"
            + "And God said, Let there be light: and there was light. 1:3\n";

    @Test
    void charVocabularyIsTheSortedDistinctCharacters() {
        CharTokenizer tok = CharTokenizer.train("bca ab");
        assertEquals(4, tok.vocabSize());
        assertArrayEquals(new int[] {1, 2, 3, 0, 1, 2}, tok.encode("abc ab"));
        assertEquals("cab", tok.decode(new int[] {3, 1, 2}));
    }

    @Test
    void charTokenizerNamesACharacterItHasNeverSeen() {
        var e = assertThrows(InputException.class, () -> CharTokenizer.train(CORPUS).encode("Zion"));
        assertTrue(e.getMessage().contains("'Z'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"char", "bpe"})
    void decodeOfEncodeIsTheTextAndSurvivesSerialization(String kind) {
        Tokenizer tok = kind.equals("char") ? CharTokenizer.train(CORPUS) : BytePairTokenizer.train(CORPUS, 300);
        Tokenizer back = Tokenizer.parse(tok.serialize());
        assertEquals(tok.vocabSize(), back.vocabSize());
        int[] ids = tok.encode(CORPUS);
        assertArrayEquals(ids, back.encode(CORPUS));
        assertEquals(CORPUS, back.decode(ids));
        for (int id : ids) {
            assertTrue(id >= 0 && id < tok.vocabSize());
        }
    }

    @Test
    void bpeLearnsFrequentPairsAndShortensTheText() {
        BytePairTokenizer tok = BytePairTokenizer.train(CORPUS, 320);
        assertTrue(tok.vocabSize() > 256 && tok.vocabSize() <= 320, "vocab " + tok.vocabSize());
        int[] ids = tok.encode(CORPUS);
        assertTrue(ids.length < CORPUS.length() * 0.6, ids.length + " tokens for " + CORPUS.length() + " bytes");
        // " the" occurs often: it is one token
        assertEquals(1, tok.encode(" the").length);
    }

    @Test
    void bpeEncodesAnyTextExactlyEvenUnseenBytes() {
        BytePairTokenizer tok = BytePairTokenizer.train(CORPUS, 300);
        String unseen = "Zürich ✓ 𝄞 tab\there";
        assertEquals(unseen, tok.decode(tok.encode(unseen)));
    }

    @Test
    void bpeChunksKeepALeadingSpaceWithItsWord() {
        assertEquals(List.of("In", " the", " ", "1", ":", "3", ".", "\n"), BytePairTokenizer.chunks("In the 1:3.\n"));
    }

    @Test
    void unknownTokenizerKindIsAnErrorNamingIt() {
        var e = assertThrows(InputException.class, () -> Tokenizer.parse("wordpiece\nx"));
        assertTrue(e.getMessage().contains("wordpiece"), e.getMessage());
    }
}
