package dev.kindling.core.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.shade.protobuf.UnknownFieldSet;
import org.tensorflow.framework.Summary;

/**
 * The event file read back as TensorBoard reads it: every record's two masked CRC-32Cs checked, each
 * {@code Event} parsed by the protocol buffer library, each {@code Summary} by TensorFlow's own generated
 * class (TensorFlow's summary.proto, which ND4J ships).
 */
public class TensorBoardFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void scalarsReadBackThroughTensorFlowsOwnSchema() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (int epoch = 1; epoch <= 2; epoch++) {
            for (int it = 0; it < 3; it++) {
                for (int worker = 0; worker < 2; worker++) { // two replicas at each iteration: their mean is the step's loss
                    events.add(JSON.readTree("{\"event\":\"step\",\"epoch\":" + epoch + ",\"worker\":\"w" + worker + "\",\"iteration\":"
                            + ((epoch - 1) * 3 + it) + ",\"loss\":" + (1.0 + worker + it) + "}"));
                }
            }
            events.add(JSON.readTree("{\"event\":\"epoch\",\"epoch\":" + epoch + ",\"train_loss\":" + (2.0 / epoch)
                    + ",\"val_loss\":null,\"val_accuracy\":0.5,\"lr\":0.001,\"wall_time\":" + (1_700_000_000 + 10 * epoch) + "}"));
        }
        List<byte[]> records = records(TensorBoardFile.of(events));

        UnknownFieldSet first = UnknownFieldSet.parseFrom(records.get(0));
        assertEquals("brain.Event:2", first.getField(3).getLengthDelimitedList().get(0).toStringUtf8());
        Map<String, List<float[]>> scalars = new LinkedHashMap<>(); // tag -> (step, value)
        for (byte[] r : records.subList(1, records.size())) {
            UnknownFieldSet e = UnknownFieldSet.parseFrom(r);
            double wall = Double.longBitsToDouble(e.getField(1).getFixed64List().get(0));
            assertTrue(wall >= 1_700_000_010, "wall time from the epoch events: " + wall);
            long step = e.getField(2).getVarintList().isEmpty() ? 0 : e.getField(2).getVarintList().get(0);
            Summary s = Summary.parseFrom(e.getField(5).getLengthDelimitedList().get(0).toByteArray());
            assertEquals(1, s.getValueCount());
            scalars.computeIfAbsent(s.getValue(0).getTag(), t -> new ArrayList<>()).add(new float[] {step, s.getValue(0).getSimpleValue()});
        }
        assertEquals(List.of("epoch/train_loss", "epoch/val_accuracy", "epoch/lr", "train/loss"), List.copyOf(scalars.keySet()),
                "null values (val_loss) are left out");
        assertEquals("[[1.0, 2.0], [2.0, 1.0]]", Arrays.deepToString(scalars.get("epoch/train_loss").toArray()));
        List<float[]> steps = scalars.get("train/loss");
        assertEquals(6, steps.size(), "one point per iteration");
        assertEquals(5f, steps.get(5)[0]);
        assertEquals(3.5f, steps.get(5)[1], "the two replicas' mean (3 and 4)");
    }

    @Test
    void theMaskIsTensorFlowsOnTheCastagnoliCrc() {
        // CRC-32C's check value for "123456789" is 0xE3069283; TensorFlow's record format stores
        // ((crc >> 15) | (crc << 17)) + 0xa282ead8 (tensorflow/core/lib/hash/crc32c.h), here 0xc78ab0e5
        assertEquals(0xc78ab0e5, TensorBoardFile.maskedCrc("123456789".getBytes(StandardCharsets.US_ASCII)));
    }

    /** The records of an event file, each checked against its length and data CRCs. */
    public static List<byte[]> records(byte[] file) {
        List<byte[]> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            byte[] length = new byte[8];
            b.get(length);
            assertEquals(TensorBoardFile.maskedCrc(length), b.getInt(), "the length's CRC");
            byte[] data = new byte[(int) ByteBuffer.wrap(length).order(ByteOrder.LITTLE_ENDIAN).getLong()];
            b.get(data);
            assertEquals(TensorBoardFile.maskedCrc(data), b.getInt(), "the data's CRC");
            out.add(data);
        }
        assertTrue(new String(out.get(0), StandardCharsets.ISO_8859_1).contains("brain.Event:2"));
        return out;
    }
}
