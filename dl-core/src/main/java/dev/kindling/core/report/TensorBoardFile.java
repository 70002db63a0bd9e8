package dev.kindling.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * A run's events as a TensorBoard event file, so {@code tensorboard --logdir <run>} draws its curves. The
 * format is TensorFlow's record file: each record is its length (8 bytes, little-endian), a masked CRC-32C
 * of those 8 bytes, the bytes of one {@code Event} protocol buffer, and their masked CRC-32C. The first
 * event names the format ({@code file_version: "brain.Event:2"}); the others carry one scalar each:
 * {@code train/loss} per step (the replicas' mean at that iteration) and {@code epoch/*} per epoch, with the
 * epoch as the step. Protocol buffers are written by hand: five fields of two messages.
 */
public final class TensorBoardFile {
    /** Where the file goes in a run directory; TensorBoard reads every file whose name holds "tfevents". */
    public static final String PATH = "tensorboard/events.out.tfevents.kindling";
    private static final String[][] EPOCH_SCALARS = {
        {"train_loss", "epoch/train_loss"}, {"val_loss", "epoch/val_loss"}, {"val_accuracy", "epoch/val_accuracy"}, {"lr", "epoch/lr"}};

    /** The whole file for {@code events} ({@link RunEvents}); a run's file is rewritten whole at every epoch end. */
    public static byte[] of(List<JsonNode> events) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        double firstWall = events.stream().filter(RunEvents::isEpoch).mapToDouble(e -> RunEvents.num(e, "wall_time"))
                .filter(Double::isFinite).findFirst().orElse(0);
        record(out, event(firstWall, 0, null, "brain.Event:2"));
        Map<Long, double[]> stepLoss = new TreeMap<>(); // iteration -> {sum, count, wall time}
        double wall = firstWall;
        for (JsonNode e : events) {
            if (RunEvents.isEpoch(e)) {
                double w = RunEvents.num(e, "wall_time");
                wall = Double.isFinite(w) ? w : wall;
                for (double[] s : stepLoss.values()) {
                    s[2] = Double.isNaN(s[2]) ? wall : s[2]; // a step's time: the end of its epoch
                }
                long epoch = e.path("epoch").asLong();
                for (String[] scalar : EPOCH_SCALARS) {
                    double v = RunEvents.num(e, scalar[0]);
                    if (Double.isFinite(v)) {
                        record(out, event(wall, epoch, summary(scalar[1], (float) v), null));
                    }
                }
            } else if (RunEvents.isStep(e) && Double.isFinite(RunEvents.num(e, "loss"))) {
                double[] s = stepLoss.computeIfAbsent((long) RunEvents.num(e, "iteration"), k -> new double[] {0, 0, Double.NaN});
                s[0] += RunEvents.num(e, "loss");
                s[1]++;
            }
        }
        for (Map.Entry<Long, double[]> s : stepLoss.entrySet()) {
            double[] v = s.getValue();
            record(out, event(Double.isNaN(v[2]) ? wall : v[2], s.getKey(), summary("train/loss", (float) (v[0] / v[1])), null));
        }
        return out.toByteArray();
    }

    /** {@code Event}: wall_time = 1 (double), step = 2 (int64), file_version = 3 (string), summary = 5 (message). */
    static byte[] event(double wallTime, long step, byte[] summary, String fileVersion) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0x09);
        writeLittleEndian(b, Double.doubleToLongBits(wallTime), 8);
        if (step != 0) {
            b.write(0x10);
            varint(b, step);
        }
        if (fileVersion != null) {
            bytesField(b, 0x1a, fileVersion.getBytes(StandardCharsets.UTF_8));
        }
        if (summary != null) {
            bytesField(b, 0x2a, summary);
        }
        return b.toByteArray();
    }

    /** {@code Summary} with one {@code Value}: value = 1 (message); Value.tag = 1 (string), simple_value = 2 (float). */
    static byte[] summary(String tag, float value) {
        ByteArrayOutputStream v = new ByteArrayOutputStream();
        bytesField(v, 0x0a, tag.getBytes(StandardCharsets.UTF_8));
        v.write(0x15);
        writeLittleEndian(v, Float.floatToIntBits(value), 4);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        bytesField(s, 0x0a, v.toByteArray());
        return s.toByteArray();
    }

    static void record(ByteArrayOutputStream out, byte[] data) {
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        out.writeBytes(length);
        writeLittleEndian(out, maskedCrc(length), 4);
        out.writeBytes(data);
        writeLittleEndian(out, maskedCrc(data), 4);
    }

    /** TensorFlow's masked CRC-32C: rotated right by 15 bits plus a constant, so CRCs of CRCs do not repeat. */
    static int maskedCrc(byte[] data) {
        CRC32C crc = new CRC32C();
        crc.update(data);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    private static void bytesField(ByteArrayOutputStream b, int tag, byte[] bytes) {
        b.write(tag);
        varint(b, bytes.length);
        b.writeBytes(bytes);
    }

    private static void varint(ByteArrayOutputStream b, long v) {
        while ((v & ~0x7FL) != 0) {
            b.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        b.write((int) v);
    }

    private static void writeLittleEndian(ByteArrayOutputStream b, long v, int bytes) {
        for (int i = 0; i < bytes; i++) {
            b.write((int) (v >>> (8 * i)) & 0xFF);
        }
    }

    private TensorBoardFile() {}
}
