package dev.kindling.spark.allreduce;

import java.io.Serializable;
import java.security.SecureRandom;

/**
 * A 128-bit secret every frame of one all-reduce carries ({@link Frame}): a datagram from anything that
 * is not a worker of this epoch's barrier stage cannot change a sum, because it does not know the
 * token. The driver draws a fresh one per epoch and ships it to the workers inside the Spark task,
 * which travels over Spark's RPC (authenticated and encrypted where {@code spark.authenticate} and
 * {@code spark.network.crypto.enabled} are on), never over the all-reduce's UDP. It is a shared
 * secret, not a MAC: a host that can read the executors' traffic can replay it within the epoch.
 *
 * @param high the first 64 bits
 * @param low  the last 64 bits
 */
public record RunToken(long high, long low) implements Serializable {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static RunToken random() {
        return new RunToken(RANDOM.nextLong(), RANDOM.nextLong());
    }
}
