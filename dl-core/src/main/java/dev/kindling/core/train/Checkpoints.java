package dev.kindling.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.data.ArrayWriter;
import dev.kindling.core.data.ShardDecoder;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import dev.kindling.core.model.ModelStore;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints under {@code <dir>/checkpoints/e<epoch>-s<step>/}: {@code model.zip} (parameters,
 * updater state, iteration and epoch counters), {@code state.json} (the loop's position, history and
 * early-stopping state), {@code best.bin} (the best parameters so far) and {@code ema.bin} (the EMA
 * shadow, with {@code --ema-decay}). Each is written to a
 * temporary directory and renamed, so a checkpoint is complete or absent; the newest {@code keep}
 * are kept.
 */
public final class Checkpoints implements EpochLoop.Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String DIR = "checkpoints";
    /** The EMA shadow parameters, when the run keeps one. */
    public static final String EMA_FILE = "ema.bin";

    private final Storage storage;
    private final String root;
    private final int keep;

    /** A checkpoint read back: the network (with its updater state) and where the loop was. */
    public record Resumed(ComputationGraph net, EpochLoop.LoopState state, String name) {}

    public Checkpoints(Storage storage, String runDir, int keep) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep=" + keep + ": must be >= 1");
        }
        this.storage = storage;
        this.root = storage.child(runDir, DIR);
        this.keep = keep;
    }

    static String name(EpochLoop.LoopState s) {
        return String.format("e%05d-s%08d", s.epoch, s.stepInEpoch);
    }

    @Override
    public void save(ComputationGraph net, EpochLoop.LoopState state) throws IOException {
        String name = name(state);
        String target = storage.child(root, name);
        String tmp = storage.child(root, name + ".tmp");
        storage.delete(tmp);
        try (OutputStream os = storage.create(storage.child(tmp, "model.zip"))) {
            ModelStore.writeDl4jModel(net, os);
        }
        if (state.best != null) {
            try (DataOutputStream os = new DataOutputStream(new BufferedOutputStream(storage.create(storage.child(tmp, "best.bin")), 1 << 16))) {
                ArrayWriter.write(state.best, os);
            }
        }
        if (state.ema != null) {
            try (DataOutputStream os = new DataOutputStream(new BufferedOutputStream(storage.create(storage.child(tmp, EMA_FILE)), 1 << 16))) {
                ArrayWriter.write(state.ema, os);
            }
        }
        try (OutputStream os = storage.create(storage.child(tmp, "state.json"))) {
            os.write(JSON.writeValueAsBytes(toJson(state)));
        }
        storage.delete(target); // a checkpoint of the same position from an earlier, interrupted attempt
        storage.rename(tmp, target);
        List<String> complete = complete();
        for (int i = 0; i < complete.size() - keep; i++) {
            storage.delete(storage.child(root, complete.get(i)));
        }
        LOG.debug("checkpoint {} written", target);
    }

    /** Complete checkpoints, oldest first. */
    List<String> complete() throws IOException {
        return storage.list(root).stream().filter(n -> n.matches("e\\d{5}-s\\d{8}")).sorted().toList();
    }

    /** The newest complete checkpoint's name, if any. */
    public Optional<String> newestName() throws IOException {
        List<String> complete = complete();
        return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
    }

    /** The newest complete checkpoint, if any. */
    public Optional<Resumed> latest() throws IOException {
        Optional<String> newest = newestName();
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        String name = newest.get();
        String dir = storage.child(root, name);
        try {
            String zip = storage.child(dir, "model.zip");
            ComputationGraph net = ModelStore.readDl4jModel(storage.readAll(zip), zip);
            EpochLoop.LoopState state = fromJson(JSON.readTree(storage.readAll(storage.child(dir, "state.json"))));
            String best = storage.child(dir, "best.bin");
            if (storage.exists(best)) {
                state.best = ShardDecoder.decodeArray(storage.readAll(best), best);
            }
            String ema = storage.child(dir, EMA_FILE);
            if (storage.exists(ema)) {
                state.ema = ShardDecoder.decodeArray(storage.readAll(ema), ema);
            }
            return Optional.of(new Resumed(net, state, name));
        } catch (IOException | RuntimeException e) {
            throw new InputException("checkpoint=" + dir + ": unreadable (" + e.getMessage() + "); delete it to resume from the one before", e);
        }
    }

    /**
     * The whole loop state (state.json, the best and EMA parameters) as one byte array, for a replica
     * on an executor that writes mid-epoch checkpoints of a state the driver holds.
     */
    public static byte[] pack(EpochLoop.LoopState s) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            byte[] json = JSON.writeValueAsBytes(toJson(s));
            out.writeInt(json.length);
            out.write(json);
            for (INDArray a : new INDArray[] {s.best, s.ema}) {
                out.writeBoolean(a != null);
                if (a != null) {
                    ArrayWriter.write(a, out);
                }
            }
        }
        return bytes.toByteArray();
    }

    /** The state {@link #pack} wrote. */
    public static EpochLoop.LoopState unpack(byte[] packed) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(packed))) {
            byte[] json = new byte[in.readInt()];
            in.readFully(json);
            EpochLoop.LoopState s = fromJson(JSON.readTree(json));
            s.best = in.readBoolean() ? Nd4j.read(in) : null;
            s.ema = in.readBoolean() ? Nd4j.read(in) : null;
            return s;
        }
    }

    static Map<String, Object> toJson(EpochLoop.LoopState s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", s.epoch);
        m.put("step_in_epoch", s.stepInEpoch);
        m.put("best_loss", Double.isInfinite(s.bestLoss) ? null : s.bestLoss);
        m.put("best_epoch", s.bestEpoch);
        m.put("since_best", s.sinceBest);
        m.put("steps", s.steps);
        m.put("samples", s.samples);
        m.put("fit_seconds", s.fitSeconds);
        m.put("stopped", s.stopped);
        m.put("workers", s.workers);
        m.put("history", s.history.stream().map(r -> java.util.Arrays.asList(r.epoch(), num(r.trainLoss()), num(r.valLoss()), num(r.valAccuracy()),
                r.lr(), r.seconds())).toList());
        return m;
    }

    static EpochLoop.LoopState fromJson(JsonNode j) {
        EpochLoop.LoopState s = new EpochLoop.LoopState();
        s.epoch = j.get("epoch").asInt();
        s.stepInEpoch = j.get("step_in_epoch").asInt();
        s.bestLoss = j.get("best_loss").isNull() ? Double.POSITIVE_INFINITY : j.get("best_loss").asDouble();
        s.bestEpoch = j.get("best_epoch").asInt();
        s.sinceBest = j.get("since_best").asInt();
        s.steps = j.get("steps").asLong();
        s.samples = j.get("samples").asLong();
        s.fitSeconds = j.get("fit_seconds").asDouble();
        s.stopped = j.get("stopped").asBoolean();
        s.workers = j.has("workers") ? j.get("workers").asInt() : 1; // checkpoints before 2026-12-03 came from one JVM or epoch ends
        for (JsonNode r : j.get("history")) {
            s.history.add(new EpochLoop.EpochRecord(r.get(0).asInt(), dbl(r.get(1)), dbl(r.get(2)), dbl(r.get(3)),
                    r.get(4).asDouble(), r.get(5).asDouble()));
        }
        return s;
    }

    private static Object num(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static double dbl(JsonNode n) {
        return n.isNull() ? Double.NaN : n.asDouble();
    }
}
