package dev.kindling.spark.infer;

import dev.kindling.core.metrics.ClassificationMetrics;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One prediction row per input row: {@code id}, {@code prediction} (class index),
 * {@code probabilities} (one per class; a binary head's p gives [1 - p, p]) and {@code label} when
 * the input had one.
 */
public final class Predictions {
    public static final StructType SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.LongType, false),
        DataTypes.createStructField("prediction", DataTypes.IntegerType, false),
        DataTypes.createStructField("probabilities", DataTypes.createArrayType(DataTypes.DoubleType, false), false),
        DataTypes.createStructField("label", DataTypes.IntegerType, true),
    });

    /**
     * @param features [b][d] rows
     * @param labels   class per row, or null where the input has none
     */
    public static List<Row> predict(ComputationGraph net, long[] ids, float[][] features, Integer[] labels) {
        INDArray x = Nd4j.create(features).castTo(net.params().dataType()); // [b, d]
        double[][] p = net.outputSingle(false, x).toDoubleMatrix(); // [b, k]
        List<Row> rows = new ArrayList<>(ids.length);
        for (int i = 0; i < ids.length; i++) {
            double[] probs = p[i].length == 1 ? new double[] {1 - p[i][0], p[i][0]} : p[i];
            int best = ClassificationMetrics.argmax(probs);
            Double[] boxed = new Double[probs.length];
            for (int c = 0; c < probs.length; c++) {
                boxed[c] = probs[c];
            }
            rows.add(RowFactory.create(ids[i], best, boxed, labels == null ? null : labels[i]));
        }
        return rows;
    }

    /** Class indices of one-hot [b, C] or binary [b, 1] label rows. */
    public static Integer[] labelsOf(INDArray labels) {
        double[][] y = labels.castTo(DataType.DOUBLE).toDoubleMatrix();
        Integer[] out = new Integer[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = y[i].length == 1 ? (y[i][0] > 0.5 ? 1 : 0) : ClassificationMetrics.argmax(y[i]);
        }
        return out;
    }

    private Predictions() {}
}
