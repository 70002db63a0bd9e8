package dev.kindling.core.text;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizers of a Hugging Face {@code tokenizer.json} that byte-level BPE uses, with the
 * library's semantics: each step maps every piece to pieces, and empty pieces are dropped. BPE merges
 * never cross a piece.
 *
 * <p>Regular expressions are Oniguruma's in the library and {@link java.util.regex} here, compiled
 * with {@link Pattern#UNICODE_CHARACTER_CLASS} so that {@code \s}, {@code \d}, {@code \w} and
 * {@code (?i)} are Unicode-aware as Oniguruma's are. The constructs of GPT-2's and Llama-3's patterns
 * ({@code \p{L}}, {@code \p{N}}, {@code \s}, {@code (?!\S)}, {@code (?i:...)}, {@code {1,3}}) mean the
 * same in both; they differ only on code points whose Unicode category changed between the two
 * engines' Unicode versions: Java 17 knows Unicode 13, the library's Oniguruma Unicode 15, so letters
 * and digits assigned since (e.g. the Arabic letters U+0870-U+0887 of Unicode 14) are "other" here.
 */
sealed interface PreTokenizer permits PreTokenizer.ByteLevel, PreTokenizer.Split, PreTokenizer.Sequence {
    /** GPT-2's pattern, which {@code ByteLevel(use_regex=true)} splits with. */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    List<String> apply(List<String> pieces);

    static Pattern compile(String regex) {
        return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /**
     * {@code ByteLevel}: a space is put before every piece that does not start with one (if
     * {@code addPrefixSpace}; note: every piece, not only the text's first, so it belongs before any
     * {@code Split}), the piece is cut with {@link #GPT2_PATTERN} (if {@code useRegex}), and each
     * piece's UTF-8 bytes become {@link ByteLevelAlphabet} symbols.
     */
    record ByteLevel(boolean addPrefixSpace, boolean useRegex) implements PreTokenizer {
        private static final Pattern GPT2 = compile(GPT2_PATTERN);

        @Override
        public List<String> apply(List<String> pieces) {
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                if (piece.isEmpty()) {
                    continue;                        // the library puts no prefix space on an empty text
                }
                String p = addPrefixSpace && !piece.startsWith(" ") ? " " + piece : piece;
                List<String> cut = useRegex ? Split.cut(p, GPT2, Behavior.ISOLATED, false) : List.of(p);
                for (String c : cut) {
                    if (!c.isEmpty()) {
                        out.add(ByteLevelAlphabet.symbols(c));
                    }
                }
            }
            return out;
        }
    }

    /** What {@code Split} does with the text its pattern matches (the library's SplitDelimiterBehavior). */
    enum Behavior {
        /** Dropped. */
        REMOVED,
        /** A piece of its own. */
        ISOLATED,
        /** Joined to the piece before it. */
        MERGED_WITH_PREVIOUS,
        /** Joined to the piece after it. */
        MERGED_WITH_NEXT,
        /** Consecutive matches are one piece. */
        CONTIGUOUS
    }

    /** {@code Split}: cuts each piece at the matches of {@code pattern} ({@code invert}: at what it does not match). */
    record Split(Pattern pattern, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public List<String> apply(List<String> pieces) {
            List<String> out = new ArrayList<>();
            for (String piece : pieces) {
                for (String c : cut(piece, pattern, behavior, invert)) {
                    if (!c.isEmpty()) {
                        out.add(c);
                    }
                }
            }
            return out;
        }

        /** The library's NormalizedString.split: matches and the gaps between them, then the behavior. */
        static List<String> cut(String text, Pattern pattern, Behavior behavior, boolean invert) {
            List<int[]> spans = new ArrayList<>();    // {start, end, isMatch}
            Matcher m = pattern.matcher(text);
            int prev = 0;
            while (m.find()) {
                if (prev != m.start()) {
                    spans.add(new int[] {prev, m.start(), invert ? 1 : 0});
                }
                spans.add(new int[] {m.start(), m.end(), invert ? 0 : 1});
                prev = m.end();
            }
            if (prev != text.length()) {
                spans.add(new int[] {prev, text.length(), invert ? 1 : 0});
            }
            List<int[]> kept = new ArrayList<>();     // {start, end}
            switch (behavior) {
                case ISOLATED -> spans.forEach(s -> kept.add(new int[] {s[0], s[1]}));
                case REMOVED -> spans.stream().filter(s -> s[2] == 0).forEach(s -> kept.add(new int[] {s[0], s[1]}));
                case CONTIGUOUS, MERGED_WITH_PREVIOUS -> {
                    boolean previousMatch = false;
                    for (int[] s : spans) {
                        boolean isMatch = s[2] == 1;
                        boolean join = behavior == Behavior.CONTIGUOUS ? isMatch == previousMatch : isMatch && !previousMatch;
                        if (join && !kept.isEmpty()) {
                            kept.get(kept.size() - 1)[1] = s[1];
                        } else {
                            kept.add(new int[] {s[0], s[1]});
                        }
                        previousMatch = isMatch;
                    }
                }
                case MERGED_WITH_NEXT -> {
                    boolean previousMatch = false;            // walking backwards: the match after
                    for (int i = spans.size() - 1; i >= 0; i--) {
                        int[] s = spans.get(i);
                        boolean isMatch = s[2] == 1;
                        if (isMatch && !previousMatch && !kept.isEmpty()) {
                            kept.get(0)[0] = s[0];
                        } else {
                            kept.add(0, new int[] {s[0], s[1]});
                        }
                        previousMatch = isMatch;
                    }
                }
            }
            List<String> out = new ArrayList<>(kept.size());
            kept.forEach(k -> out.add(text.substring(k[0], k[1])));
            return out;
        }
    }

    /** {@code Sequence}: the steps in order, each on every piece the one before produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public List<String> apply(List<String> pieces) {
            List<String> out = pieces;
            for (PreTokenizer step : steps) {
                out = step.apply(out);
            }
            return out;
        }
    }
}
