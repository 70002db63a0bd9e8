package dev.kindling.spark.allreduce;

import java.util.Arrays;
import org.agrona.concurrent.UnsafeBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One worker's side of sparse sharing with error feedback (Aji and Heafield 2017, "Sparse
 * Communication for Distributed Gradient Descent"; Lin et al. 2018, "Deep Gradient Compression"):
 * each step's vector (the topk encoding's: the replica's parameter change) is added to the residual,
 * the entries of largest magnitude (about {@code density} of them) are taken out of it and sent, and
 * the rest stays in the residual for later steps, so nothing is lost, only delayed. The threshold is
 * the {@code 1 - density} quantile of |residual| estimated from 16,384 entries drawn at random each
 * step (random rather than evenly spaced, so that the sample cannot line up with the rows of a weight
 * matrix); with {@code density >= 1} every entry is sent.
 */
final class TopK {
    static final int SAMPLE = 16_384;

    private final float[] residual;
    private final int[] index;
    private final float[] value;
    private final float[] sample;
    private final double density;
    private final java.util.SplittableRandom random;

    /**
     * Why sparse sharing at this size sends more than the dense all-reduce in bf16, or null when it does not.
     * Each worker sends its {@code density x params} (index, value) pairs, 8 bytes each, to every peer:
     * {@code (N - 1) d P 8} bytes a step; the dense reduce-scatter and all-gather send {@code 2 (N - 1) / N P}
     * values, 2 bytes each in bf16. Sparse sends more once {@code N d > 1/2} (the scaling model's warning:
     * docs/scaling.md).
     */
    static String heavierThanDense(int workers, long params, double density) {
        double sparse = (workers - 1) * density * params * 8;
        double bf16 = 2.0 * (workers - 1) / workers * params * 2;
        if (workers < 2 || sparse <= bf16) {
            return null;
        }
        return String.format("--encoding=topk on %d workers at --topk-density=%s sends %.1f MB a step from each worker, %.1fx what the"
                + " dense all-reduce in bf16 sends (%.1f MB): every worker's pairs go to every peer; use --encoding=dense --wire=bf16, or a"
                + " density below %.2g", workers, density, sparse / 1e6, sparse / bf16, bf16 / 1e6, 0.5 / workers);
    }

    /** @param seed of the threshold's sample (any; fixed per worker so that a rerun repeats) */
    TopK(long length, double density, long seed) {
        if (!(density > 0) || length > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("top-k of " + length + " floats at density " + density);
        }
        int n = (int) length;
        this.residual = new float[n];
        this.index = new int[n];
        this.value = new float[n];
        this.sample = new float[Math.min(n, SAMPLE)];
        this.density = density;
        this.random = new java.util.SplittableRandom(seed);
    }

    /** Adds {@code vector} (contiguous fp32) to the residual and moves the largest entries out; returns how many. */
    int select(INDArray vector) {
        if (vector.dataType() != DataType.FLOAT || vector.elementWiseStride() != 1 || vector.length() != residual.length) {
            throw new IllegalArgumentException("top-k needs a contiguous fp32 vector of " + residual.length + " floats; got "
                    + vector.dataType() + " " + Arrays.toString(vector.shape()) + " ews " + vector.elementWiseStride());
        }
        UnsafeBuffer g = new UnsafeBuffer(vector.data().addressPointer().address() + vector.offset() * 4, residual.length * 4);
        for (int i = 0; i < residual.length; i++) {
            residual[i] += g.getFloat(i * 4);
        }
        float threshold = threshold();
        int count = 0;
        for (int i = 0; i < residual.length; i++) {
            float r = residual[i];
            if (threshold < 0 || (r != 0 && Math.abs(r) >= threshold)) {
                index[count] = i;
                value[count++] = r;
                residual[i] = 0;
            }
        }
        return count;
    }

    /** The {@code 1 - density} quantile of |residual|; -1 when every entry goes. */
    private float threshold() {
        if (density >= 1) {
            return -1;
        }
        for (int j = 0; j < sample.length; j++) {
            sample[j] = Math.abs(residual[random.nextInt(residual.length)]);
        }
        Arrays.sort(sample);
        return sample[Math.min(sample.length - 1, (int) ((1 - density) * sample.length))];
    }

    int[] index() {
        return index;
    }

    float[] value() {
        return value;
    }
}
