package org.nd4j.nativeblas;

/**
 * Restores DL4J 1.0.0-M2.1's oneDNN layer helpers on the CPU backend. Kindling's class, not ND4J's.
 *
 * <p>DL4J's {@code BaseMKLDNNHelper.mklDnnEnabled()} asks {@code org.nd4j.nativeblas.Nd4jCpu$Environment}
 * (by reflection) whether libnd4j was built with oneDNN, but in M2.1 that class moved to
 * {@code org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu$Environment}: the lookup fails and every
 * convolution, batch norm and pooling layer silently falls back to DL4J's own im2col path (4x slower
 * for SmallCNN, BENCHMARKS.md). This class answers the old lookup from the new one. It takes effect only
 * with DL4J's helpers enabled ({@code -Dorg.eclipse.deeplearning4j.helpers.disable=false}, set in
 * Kindling's JVM flags); {@code NativeHelpersTest} checks the helpers against DL4J's built-in layers.
 */
public final class Nd4jCpu {
    private Nd4jCpu() {}

    /** The one method DL4J calls, on the one instance it asks for. */
    public static final class Environment {
        private static final Environment INSTANCE = new Environment();

        private Environment() {}

        public static Environment getInstance() {
            return INSTANCE;
        }

        public boolean isUseMKLDNN() {
            return org.nd4j.linalg.cpu.nativecpu.bindings.Nd4jCpu.Environment.getInstance().isUseONEDNN();
        }
    }
}
