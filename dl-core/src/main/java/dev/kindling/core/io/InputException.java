package dev.kindling.core.io;

/**
 * A file Kindling was pointed at cannot be used: corrupt, truncated, or of another format or
 * version. The job fails (exit 1) with this message alone, which names the file and the fix.
 */
public final class InputException extends RuntimeException {
    public InputException(String message) {
        super(message);
    }

    public InputException(String message, Throwable cause) {
        super(message, cause);
    }
}
