package dev.kindling.core.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * GPT-2's {@code bytes_to_unicode}: one printable character for each of the 256 byte values, so a
 * byte-level token can be written as a string in a {@code tokenizer.json} vocabulary. The 188 bytes
 * that are printable and not a space ({@code !} to {@code ~}, {@code ¡} to {@code ¬}, {@code ®} to
 * {@code ÿ}) stand for themselves; the other 68, in byte order, become U+0100 to U+0143 (the space
 * 0x20 is {@code Ġ} U+0120, the newline 0x0A is {@code Ċ} U+010A).
 */
final class ByteLevelAlphabet {
    private static final char[] SYMBOL = new char[256];     // byte -> symbol
    private static final int[] BYTE = new int[0x144];       // symbol -> byte, -1 if none

    static {
        java.util.Arrays.fill(BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean standsForItself = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            SYMBOL[b] = (char) (standsForItself ? b : next++);
            BYTE[SYMBOL[b]] = b;
        }
    }

    /** The symbol of byte {@code b} (0-255). */
    static char symbol(int b) {
        return SYMBOL[b & 0xff];
    }

    /** The byte that {@code c} stands for, or -1 when {@code c} is not in the alphabet. */
    static int byteOf(char c) {
        return c < BYTE.length ? BYTE[c] : -1;
    }

    /** The UTF-8 bytes of {@code text}, one symbol each. */
    static String symbols(String text) {
        return symbols(text.getBytes(StandardCharsets.UTF_8));
    }

    static String symbols(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            sb.append(SYMBOL[b & 0xff]);
        }
        return sb.toString();
    }

    /** The bytes {@code token} spells, or null when one of its characters is not in the alphabet. */
    static byte[] bytes(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b < 0) {
                return null;
            }
            out.write(b);
        }
        return out.toByteArray();
    }

    private ByteLevelAlphabet() {}
}
