package dev.kindling.core.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.StepTelemetry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code events.jsonl} in a run directory: one JSON object per line, written at every epoch's end
 * while the run trains, so a killed run keeps what it measured up to its last epoch. Two kinds:
 *
 * <pre>
 * {"event":"epoch","epoch":1,"train_loss":..,"val_loss":..,"val_accuracy":..,"lr":..,"seconds":..,"samples":..,"steps":..,"wall_time":..}
 * {"event":"step","epoch":1,"worker":"..","iteration":..,"samples":..,"step_ms":..,"forward_ms":..,"backward_ms":..,
 *  "update_ms":..,"loss_scale":..,"skipped":..,"loss":..}
 * </pre>
 *
 * Epochs count from 1; {@code samples} and {@code steps} of an epoch event are the run's totals at its
 * end, {@code wall_time} when it was logged (Unix seconds); a step event is one replica's minibatch (its telemetry record), absent values null.
 */
public final class RunEvents {
    public static final String FILE = "events.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The event of the epoch {@code r} records; {@code samples} and {@code steps} are the run's totals so far. */
    public static ObjectNode epoch(EpochLoop.EpochRecord r, long samples, long steps) {
        ObjectNode e = JSON.createObjectNode().put("event", "epoch").put("epoch", r.epoch() + 1);
        number(e, "train_loss", r.trainLoss());
        number(e, "val_loss", r.valLoss());
        number(e, "val_accuracy", r.valAccuracy());
        number(e, "lr", r.lr());
        number(e, "seconds", r.seconds());
        return e.put("samples", samples).put("steps", steps).put("wall_time", System.currentTimeMillis() / 1000.0);
    }

    /** Step events of epoch {@code epoch} (1-based) from {@link StepTelemetry} records. */
    public static List<ObjectNode> steps(int epoch, List<String> records) {
        String[] columns = StepTelemetry.HEADER.split(",");
        List<ObjectNode> out = new ArrayList<>(records.size());
        for (String record : records) {
            String[] v = record.split(",", -1);
            ObjectNode e = JSON.createObjectNode().put("event", "step").put("epoch", epoch).put("worker", v[0]);
            for (int c = 2; c < columns.length && c < v.length; c++) {
                number(e, columns[c], v[c].isEmpty() ? Double.NaN : Double.parseDouble(v[c]));
            }
            out.add(e);
        }
        return out;
    }

    /** The events of {@code dir} (none when it has no events file); a line that is not JSON is named. */
    public static List<JsonNode> read(Storage storage, String dir) throws IOException {
        String file = storage.child(dir, FILE);
        if (!storage.exists(file)) {
            return List.of();
        }
        List<JsonNode> events = new ArrayList<>();
        String[] lines = new String(storage.readAll(file), StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) {
                continue;
            }
            try {
                events.add(JSON.readTree(lines[i]));
            } catch (IOException e) {
                throw new InputException(file + ":" + (i + 1) + ": not a JSON event (" + e.getMessage().lines().findFirst().orElse("")
                        + "); the file was edited or truncated: delete the line to read the rest", e);
            }
        }
        return events;
    }

    /** Replaces {@code dir}'s events file by {@code events} (written whole, then renamed). */
    public static void write(Storage storage, String dir, List<? extends JsonNode> events) throws IOException {
        StringBuilder b = new StringBuilder();
        for (JsonNode e : events) {
            b.append(JSON.writeValueAsString(e)).append('\n');
        }
        storage.replace(storage.child(dir, FILE), b.toString().getBytes(StandardCharsets.UTF_8));
    }

    public static boolean isEpoch(JsonNode e) {
        return "epoch".equals(e.path("event").asText());
    }

    static boolean isStep(JsonNode e) {
        return "step".equals(e.path("event").asText());
    }

    /** A field as a double, NaN when absent or null. */
    static double num(JsonNode e, String field) {
        JsonNode v = e.get(field);
        return v == null || !v.isNumber() ? Double.NaN : v.asDouble();
    }

    private static void number(ObjectNode e, String field, double v) {
        if (Double.isFinite(v)) {
            e.put(field, v);
        } else {
            e.putNull(field);
        }
    }

    private RunEvents() {}
}
