package dev.kindling.spark.legacy;

import org.nd4j.parameterserver.distributed.v2.transport.PortSupplier;

/**
 * The Aeron port of the JVM that asks. DL4J M2's {@code StaticPortSupplier(p)} ignores {@code p}
 * and gives every JVM 49876; JVMs on one host sharing a port then train silently with no effect.
 * Each JVM takes {@value #ENV} from its environment (a worker daemon sets a distinct one per
 * executor), else {@value #PROPERTY}, else the port the driver configured.
 */
public final class KindlingPortSupplier implements PortSupplier {
    private static final long serialVersionUID = 1L;
    public static final String ENV = "KINDLING_AERON_PORT";
    public static final String PROPERTY = "kindling.aeron.port";

    private final int fallback;

    public KindlingPortSupplier(int fallback) {
        this.fallback = fallback;
    }

    @Override
    public int getPort() {
        String v = System.getenv(ENV);
        if (v == null || v.isBlank()) {
            v = System.getProperty(PROPERTY);
        }
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalStateException(ENV + "=" + v + ": not a port number; set it to a free UDP port", e);
        }
    }
}
