package dev.kindling.spark.prepare;

import dev.kindling.core.io.InputException;
import java.util.function.Supplier;
import org.apache.spark.SparkException;

/**
 * Spark actions whose tasks may fail on bad input. A task that threw an {@link InputException} reaches
 * the driver only as text inside a {@link SparkException}: that message is the one the user needs.
 */
final class ExecutorErrors {

    /** Runs a Spark action, rethrowing a task's InputException as one. */
    static <T> T onExecutors(Supplier<T> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw unwrapped(e);
        }
    }

    static RuntimeException unwrapped(Exception e) {
        String marker = InputException.class.getName() + ": ";
        String m = String.valueOf(e.getMessage());
        int at = m.indexOf(marker);
        if (e instanceof SparkException && at >= 0) {
            return new InputException(m.substring(at + marker.length()).lines().findFirst().orElse(""), e);
        }
        return new IllegalStateException(e);
    }

    private ExecutorErrors() {}
}
