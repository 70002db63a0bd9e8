package dev.kindling.core.data;

import java.io.ByteArrayInputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.options.ArrayOptionsHelper;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Decodes the bytes {@link DataSet#save} writes, in bulk. DL4J's own {@code DataSet.load} reads every
 * element through {@code DataInputStream.readFloat} into a native buffer one {@code put} at a time,
 * which bounded whole jobs (batch inference ran at ~2k rows/s on it); here each array is one
 * byte-swapping bulk copy from the shard's bytes into the array's native buffer.
 *
 * <pre>
 * shard    = included:byte  array(features)? array(labels)? array(featuresMask)? array(labelsMask)?
 *            (labels may instead be "same as features"; example metadata and label names follow as
 *            Java serialization: such shards, and any array layout below we do not expect, are handed
 *            to DL4J's decoder unchanged, so results are always DL4J's)
 * array    = buffer(shapeInfo: LONG[2 * rank + 4])  buffer(data)
 * buffer   = allocationMode:UTF  length:int64  dataType:UTF  length big-endian elements
 * shapeInfo = rank, shape[rank], stride[rank], extras (data type bits), elementWiseStride, order
 * </pre>
 * Truncated or inconsistent bytes are a {@link Malformed} naming the array and what is missing; a
 * length is checked against the bytes left before anything is allocated, so a corrupt header cannot
 * ask for gigabytes.
 */
public final class ShardDecoder {
    private static final int FEATURES = 1;
    private static final int LABELS = 1 << 1;
    private static final int LABELS_SAME_AS_FEATURES = 1 << 2;
    private static final int FEATURES_MASK = 1 << 3;
    private static final int LABELS_MASK = 1 << 4;
    private static final int JAVA_SERIALIZED = (1 << 5) | (1 << 6) | (1 << 7); // metadata, label names, unknown

    /** The shard's bytes are not a DataSet: truncated, or a header that contradicts itself. */
    public static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    /** A layout the bulk path does not handle; DL4J's decoder takes the whole shard. */
    private static final class Unusual extends Exception {
        private static final long serialVersionUID = 1L;

        Unusual() {
            super(null, null, false, false);
        }
    }

    /** Decodes a whole shard; equal (types, shapes, strides, order, values, masks) to DL4J's {@code DataSet.load}. */
    public static DataSet decode(byte[] bytes) {
        try {
            return bulk(bytes);
        } catch (Unusual u) {
            return dl4j(bytes);
        } catch (BufferUnderflowException e) {
            throw new Malformed("truncated: the bytes end inside an array header");
        }
    }

    /**
     * Decodes one array as {@code Nd4j.write} wrote it (a model's parameters or updater state), in bulk;
     * layouts the bulk path does not expect go to {@code Nd4j.read}, so the result is always ND4J's.
     *
     * @throws Malformed when the bytes are truncated or inconsistent, naming {@code what}
     */
    public static INDArray decodeArray(byte[] bytes, String what) {
        try {
            return array(ByteBuffer.wrap(bytes), what);
        } catch (Unusual u) {
            try {
                return Nd4j.read(new java.io.DataInputStream(new ByteArrayInputStream(bytes)));
            } catch (RuntimeException e) {
                throw new Malformed(what + ": " + e.getMessage());
            }
        } catch (BufferUnderflowException e) {
            throw new Malformed("truncated: " + what + " ends inside an array header");
        }
    }

    /** DL4J's own element-by-element decoder, for the layouts {@link #decode} hands over and for comparison. */
    public static DataSet dl4j(byte[] bytes) {
        DataSet ds = new DataSet();
        ds.load(new ByteArrayInputStream(bytes));
        return ds;
    }

    private static DataSet bulk(byte[] bytes) throws Unusual {
        ByteBuffer in = ByteBuffer.wrap(bytes); // big-endian, as DataOutputStream wrote it
        int included = in.get() & 0xff;
        if ((included & JAVA_SERIALIZED) != 0) {
            throw new Unusual();
        }
        INDArray features = (included & FEATURES) != 0 ? array(in, "features") : null;
        INDArray labels = (included & LABELS) != 0 ? array(in, "labels")
                : (included & LABELS_SAME_AS_FEATURES) != 0 ? features : null;
        INDArray featuresMask = (included & FEATURES_MASK) != 0 ? array(in, "features mask") : null;
        INDArray labelsMask = (included & LABELS_MASK) != 0 ? array(in, "labels mask") : null;
        return new DataSet(features, labels, featuresMask, labelsMask);
    }

    private static INDArray array(ByteBuffer in, String what) throws Unusual {
        Header shapeHeader = header(in, what);
        if (shapeHeader.type != DataType.LONG) {
            throw new Unusual();
        }
        long[] shapeInfo = new long[checkedLength(in, shapeHeader, what + " shape")];
        in.asLongBuffer().get(shapeInfo);
        in.position(in.position() + shapeInfo.length * Long.BYTES);
        int rank = shapeInfo.length == 0 ? -1 : (int) shapeInfo[0];
        if (rank < 0 || rank > 32 || shapeInfo.length != 2 * rank + 4) {
            throw new Malformed(what + ": shape information of " + shapeInfo.length + " values does not fit rank "
                    + (shapeInfo.length == 0 ? "?" : shapeInfo[0]));
        }
        long[] shape = java.util.Arrays.copyOfRange(shapeInfo, 1, 1 + rank);
        long[] strides = java.util.Arrays.copyOfRange(shapeInfo, 1 + rank, 1 + 2 * rank);
        char order = (char) shapeInfo[shapeInfo.length - 1];
        DataType type;
        try {
            type = ArrayOptionsHelper.dataType(shapeInfo[shapeInfo.length - 3]);
        } catch (RuntimeException e) {
            throw new Unusual(); // no data type in the shape: DL4J's legacy path
        }
        long elements = 1;
        for (long s : shape) {
            if (s < 0 || (s > 0 && elements > Long.MAX_VALUE / s)) {
                throw new Malformed(what + ": impossible shape " + java.util.Arrays.toString(shape));
            }
            elements *= s;
        }
        if (elements == 0 || (order != 'c' && order != 'f') || !java.util.Arrays.equals(strides, contiguous(shape, order))) {
            throw new Unusual(); // empty, or a strided view: let DL4J rebuild it exactly
        }
        Header dataHeader = header(in, what);
        if (dataHeader.type != type) {
            throw new Unusual();
        }
        int length = checkedLength(in, dataHeader, what);
        if (length != elements) {
            throw new Malformed(what + ": " + length + " values for shape " + java.util.Arrays.toString(shape));
        }
        DataBuffer data = Nd4j.createBuffer(type, length, false);
        ByteBuffer target = data.asNio().order(ByteOrder.nativeOrder());
        ByteBuffer source = in.slice().order(ByteOrder.BIG_ENDIAN);
        source.limit(length * type.width());
        switch (type) { // each put is one byte-swapping bulk copy
            case FLOAT -> target.asFloatBuffer().put(source.asFloatBuffer());
            case DOUBLE -> target.asDoubleBuffer().put(source.asDoubleBuffer());
            case INT -> target.asIntBuffer().put(source.asIntBuffer());
            case LONG -> target.asLongBuffer().put(source.asLongBuffer());
            default -> throw new Unusual();
        }
        in.position(in.position() + length * type.width());
        return Nd4j.create(data, shape, strides, 0, order, type);
    }

    private record Header(DataBuffer.AllocationMode mode, long length, DataType type) {}

    private static Header header(ByteBuffer in, String what) throws Unusual {
        String modeName = utf(in, what);
        DataBuffer.AllocationMode mode;
        try {
            mode = DataBuffer.AllocationMode.valueOf(modeName);
        } catch (IllegalArgumentException e) {
            throw new Malformed(what + ": unknown buffer kind '" + printable(modeName) + "'");
        }
        if (mode != DataBuffer.AllocationMode.MIXED_DATA_TYPES && mode != DataBuffer.AllocationMode.LONG_SHAPE) {
            throw new Unusual(); // DL4J's pre-1.0 buffers (int lengths, implicit conversion)
        }
        long length = in.getLong();
        String typeName = utf(in, what);
        DataType type;
        try {
            type = DataType.valueOf(typeName);
        } catch (IllegalArgumentException e) {
            throw new Malformed(what + ": unknown data type '" + printable(typeName) + "'");
        }
        return new Header(mode, length, type);
    }

    /** The header's element count, once it is known to fit in the bytes left. */
    private static int checkedLength(ByteBuffer in, Header h, String what) throws Unusual {
        int width;
        switch (h.type) {
            case FLOAT, DOUBLE, INT, LONG -> width = h.type.width();
            default -> throw new Unusual();
        }
        if (h.length < 0 || h.length > in.remaining() / width) {
            throw new Malformed("truncated: " + what + " needs " + h.length + " values of " + width + " bytes, "
                    + in.remaining() + " bytes left");
        }
        return (int) h.length;
    }

    /** {@code DataOutputStream.writeUTF}'s format; the names DL4J writes are ASCII. */
    private static String utf(ByteBuffer in, String what) {
        int n = in.getShort() & 0xffff;
        if (n > in.remaining()) {
            throw new Malformed("truncated: " + what + " header needs " + n + " bytes, " + in.remaining() + " left");
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static String printable(String s) {
        String t = s.length() > 24 ? s.substring(0, 24) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static long[] contiguous(long[] shape, char order) {
        long[] strides = new long[shape.length];
        long step = 1;
        if (order == 'c') {
            for (int i = shape.length - 1; i >= 0; i--) {
                strides[i] = step;
                step *= shape[i];
            }
        } else {
            for (int i = 0; i < shape.length; i++) {
                strides[i] = step;
                step *= shape[i];
            }
        }
        return strides;
    }

    private ShardDecoder() {}
}
