package dev.kindling.core.model;

import org.deeplearning4j.nn.layers.mkldnn.BaseMKLDNNHelper;

/**
 * DL4J's native layer helpers: with the CPU backend, oneDNN kernels for convolution, batch norm,
 * pooling and local response normalisation instead of DL4J's own im2col path. DL4J 1.0.0-M2.1 disables
 * them by default and, even when enabled, cannot see that libnd4j has oneDNN (fixed by the
 * {@code org.nd4j.nativeblas.Nd4jCpu} class in this module). Kindling enables them in every JVM it
 * starts; {@code NativeHelpersTest} checks their outputs and gradients against DL4J's built-in layers.
 *
 * <p>The same JVMs also turn off JavaCPP's physical-memory check ({@link #PHYSICAL_BYTES_PROPERTY}
 * = 0): with a limit set, every native allocation (ND4J makes several per op) first reads the
 * process's resident size, 31% of a seed-MLP step's native samples under JFR; without it the step
 * is 1.3x faster (BENCHMARKS.md). Off-heap memory stays bounded by JavaCPP's {@code maxbytes}, which
 * is tracked without a system call.
 */
public final class NativeHelpers {
    /** DL4J's switch, read whenever a layer is instantiated; M2.1's default is "true" (disabled). */
    public static final String DISABLE_PROPERTY = "org.eclipse.deeplearning4j.helpers.disable";

    private NativeHelpers() {}

    /** JavaCPP's limit on the process's resident memory; 0 skips the check on each allocation. */
    public static final String PHYSICAL_BYTES_PROPERTY = "org.bytedeco.javacpp.maxphysicalbytes";

    /** The JVM options that enable the helpers and skip JavaCPP's check, for executors and child JVMs. */
    public static String jvmOptions() {
        return "-D" + DISABLE_PROPERTY + "=false -D" + PHYSICAL_BYTES_PROPERTY + "=0";
    }

    /** True when layers instantiated now in this JVM get oneDNN helpers. */
    public static boolean active() {
        return !Boolean.parseBoolean(System.getProperty(DISABLE_PROPERTY, "true")) && BaseMKLDNNHelper.mklDnnEnabled();
    }
}
