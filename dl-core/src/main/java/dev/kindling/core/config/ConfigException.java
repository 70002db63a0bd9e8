package dev.kindling.core.config;

/** A usage or configuration error: the job exits with code 2 and prints only the message. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
