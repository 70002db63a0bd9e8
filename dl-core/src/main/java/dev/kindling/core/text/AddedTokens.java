package dev.kindling.core.text;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code added_tokens} of a {@code tokenizer.json} (e.g. {@code <|endoftext|>}): each occurrence
 * in the text is one atomic token, cut out before pre-tokenization, so no merge or pre-token crosses
 * it. As in the library's AddedVocabulary, tokens with {@code normalized=false} are cut first, then
 * those with {@code normalized=true} from the text left between; each pass takes the leftmost match,
 * the longest where several start there. Only plain tokens ({@code single_word}, {@code lstrip},
 * {@code rstrip} all false) are supported; {@link TokenizerJson} refuses the others.
 */
final class AddedTokens {
    record Token(String content, int id, boolean normalized) {}

    /** A piece of text (id -1) or one added token. */
    record Segment(String text, int id) {
        boolean isToken() {
            return id >= 0;
        }
    }

    private final Map<Integer, String> contentById = new HashMap<>();
    private final Map<Character, List<Token>> raw = new HashMap<>(), normalized = new HashMap<>(); // by first char

    AddedTokens(List<Token> tokens) {
        for (Token t : tokens) {
            contentById.put(t.id(), t.content());
            (t.normalized() ? normalized : raw).computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        Comparator<Token> longestFirst = Comparator.comparingInt((Token t) -> t.content().length()).reversed();
        raw.values().forEach(l -> l.sort(longestFirst));
        normalized.values().forEach(l -> l.sort(longestFirst));
    }

    /** The content of added token {@code id}, or null when {@code id} is not an added token. */
    String content(int id) {
        return contentById.get(id);
    }

    /** {@code text} cut around the added tokens; no segment is empty. */
    List<Segment> split(String text) {
        List<Segment> out = new ArrayList<>();
        for (Segment s : cut(text, raw)) {
            out.addAll(s.isToken() ? List.of(s) : cut(s.text(), normalized));
        }
        return out;
    }

    private static List<Segment> cut(String text, Map<Character, List<Token>> tokens) {
        List<Segment> out = new ArrayList<>();
        int from = 0;
        for (int i = 0; i < text.length(); ) {
            Token hit = null;
            for (Token t : tokens.getOrDefault(text.charAt(i), List.of())) {
                if (text.startsWith(t.content(), i)) {
                    hit = t;
                    break;
                }
            }
            if (hit == null) {
                i++;
                continue;
            }
            if (from < i) {
                out.add(new Segment(text.substring(from, i), -1));
            }
            out.add(new Segment(hit.content(), hit.id()));
            i += hit.content().length();
            from = i;
        }
        if (from < text.length()) {
            out.add(new Segment(text.substring(from), -1));
        }
        return out;
    }
}
