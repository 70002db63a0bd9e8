package dev.kindling.spark.legacy;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.model.NativeHelpers;
import dev.kindling.spark.config.Dist;
import dev.kindling.spark.config.DistConfig;
import dev.kindling.spark.runtime.Preflight;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.ResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.NoOpResidualPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.residual.ResidualClippingPostProcessor;
import org.deeplearning4j.optimize.solvers.accumulation.encoding.threshold.AdaptiveThresholdAlgorithm;
import org.deeplearning4j.spark.api.TrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.repartitioner.NoOpRepartitioner;
import org.deeplearning4j.spark.parameterserver.training.SharedTrainingMaster;
import org.nd4j.parameterserver.distributed.conf.VoidConfiguration;
import org.nd4j.parameterserver.distributed.v2.ModelParameterServer;

/** Builds DL4J's training masters from a Kindling config, with the traps DESIGN.md lists avoided. */
public final class Masters {
    /** DL4J's Aeron client sets a 30 s liveness timeout; Aeron rejects an unblock timeout below it. */
    public static final String AERON_UNBLOCK_PROPERTY = "aeron.publication.unblock.timeout";
    public static final String AERON_UNBLOCK_NANOS = "60000000000";
    /** The embedded media driver otherwise leaves its directory in /dev/shm when the JVM exits. */
    public static final String AERON_DELETE_DIR_PROPERTY = "aeron.dir.delete.on.shutdown";

    /**
     * What every executor JVM needs, as JVM options: the shared master's Aeron settings, DL4J's
     * native (oneDNN) layer helpers and JavaCPP without its per-allocation memory check.
     */
    public static String executorJavaOptions() {
        return "-D" + AERON_UNBLOCK_PROPERTY + "=" + AERON_UNBLOCK_NANOS + " -D" + AERON_DELETE_DIR_PROPERTY + "=true "
                + NativeHelpers.jvmOptions();
    }

    /**
     * @param workers        Spark task slots (executors x cores)
     * @param workersPerNode model replicas per executor JVM (shared master)
     */
    public static TrainingMaster<?, ?> build(DistConfig c, long seed, int batchSize, int workers, int workersPerNode) {
        if (c.dist() == Dist.AVERAGING) {
            // the worker count must be given: M2 derives it from a MultiLayerNetwork and fails for graphs
            return new ParameterAveragingTrainingMaster.Builder(workers, batchSize)
                    .batchSizePerWorker(batchSize)
                    .averagingFrequency(c.averagingFrequency())
                    .workerPrefetchNumBatches(0)
                    .rngSeed(seed)
                    .collectTrainingStats(false)
                    .build();
        }
        checkAeronProperties();
        return new SharedTrainingMaster.Builder(voidConfiguration(c), batchSize)
                .thresholdAlgorithm(thresholdAlgorithm(c))
                .residualPostProcessor(residualPostProcessor(c))
                .batchSizePerWorker(batchSize)
                .workersPerNode(workersPerNode)
                .workerPrefetchNumBatches(2)
                // DL4J's default gives every minibatch shard its own task (~0.4 s overhead each); Kindling
                // already partitions the shard paths once per worker.
                .repartitioner(new NoOpRepartitioner())
                .rngSeed(seed)
                .collectTrainingStats(false)
                .build();
    }

    /**
     * DL4J's adaptive threshold from --threshold (start) and --max-update-density (DL4J's maximum
     * target sparsity; its minimum, 1e-4, is kept below it).
     */
    static AdaptiveThresholdAlgorithm thresholdAlgorithm(DistConfig c) {
        double max = c.maxUpdateDensity();
        return new AdaptiveThresholdAlgorithm(c.threshold(),
                Math.min(AdaptiveThresholdAlgorithm.DEFAULT_MIN_SPARSITY_TARGET, max), max, AdaptiveThresholdAlgorithm.DEFAULT_DECAY_RATE);
    }

    /**
     * DL4J clips the residual to 5 x threshold every 5 steps: the part of a dense (Adam) update the
     * sparse encoding could not send yet is dropped. --residual-clip=0 keeps all of it.
     */
    static ResidualPostProcessor residualPostProcessor(DistConfig c) {
        double multiple = c.residualClip();
        return multiple == 0 ? new NoOpResidualPostProcessor() : new ResidualClippingPostProcessor(multiple, 5);
    }

    /** Per-JVM ports and the controller port set after build(): DL4J M2's builder does not set it. */
    static VoidConfiguration voidConfiguration(DistConfig c) {
        int port = c.aeronPort();
        VoidConfiguration vc = VoidConfiguration.builder()
                .unicastPort(port)
                .controllerAddress(c.controller())
                .networkMask(c.networkMask())
                .portSupplier(new KindlingPortSupplier(port))
                .build();
        vc.setUnicastControllerPort(port);
        return vc;
    }

    /** Without the property SharedTrainingMaster fails deep inside Aeron; say what to do instead. */
    static void checkAeronProperties() {
        if (System.getProperty(AERON_DELETE_DIR_PROPERTY) == null) {
            System.setProperty(AERON_DELETE_DIR_PROPERTY, "true");
        }
        String v = System.getProperty(AERON_UNBLOCK_PROPERTY);
        if (v == null) {
            System.setProperty(AERON_UNBLOCK_PROPERTY, AERON_UNBLOCK_NANOS);
        } else if (Long.parseLong(v) <= 30_000_000_000L) {
            throw new ConfigException("-D" + AERON_UNBLOCK_PROPERTY + "=" + v + ": must exceed DL4J's 30 s Aeron liveness timeout; use " + AERON_UNBLOCK_NANOS);
        }
    }

    /**
     * Stops this driver's DL4J parameter server and with it the Aeron transport holding
     * {@code --aeron-port}, then waits (up to 30 s) until the port can be bound again, so that a
     * restarted run in the same driver passes its preflight.
     */
    public static void releaseDriverTransport(DistConfig c) throws InterruptedException {
        ModelParameterServer server = ModelParameterServer.getInstance();
        if (server.isInitialized()) {
            server.shutdown();
        }
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            try {
                Preflight.checkUdpPortFree(c.controller(), c.aeronPort());
                return;
            } catch (ConfigException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    private Masters() {}
}
