package dev.kindling.spark.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.report.RunEvents;
import dev.kindling.core.report.RunReport;
import dev.kindling.core.report.TensorBoardFile;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.spark.allreduce.RankTime;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.deeplearning4j.nn.graph.ComputationGraph;

/**
 * What a person watching a run reads while it trains: at every epoch's end, after the checkpoint,
 * the epoch's events (its step telemetry, its summary, each rank's times under Kindling's master) are
 * added to {@code events.jsonl} in the run's staging directory and {@code report.html} is redrawn there
 * (reloading itself). Both are written whole and renamed, so a killed run keeps everything up to its
 * last epoch; a resumed run keeps the events of the epochs its checkpoint had finished. At the end
 * {@link #finalReport} is the page published with the run.
 */
final class RunLog implements EpochLoop.Checkpointer {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String REPORT = "report.html";

    private final HadoopStorage storage;
    private final String dir;
    private final String name;
    private final String config;
    private final String provenance;
    private final EpochLoop.Checkpointer checkpoints;
    private final List<JsonNode> events;
    /** Every step telemetry record of this attempt, in the order the epochs drained them. */
    private final List<String> steps = new ArrayList<>();
    private int stepsLogged;
    /** Epoch events in {@link #events}: kept from before a resume, then one per epoch ended. */
    private int epochsLogged;
    private Supplier<List<RankTime>> ranks = List::of;

    private RunLog(HadoopStorage storage, String dir, String name, String config, String provenance, EpochLoop.Checkpointer checkpoints,
                   List<JsonNode> events) {
        this.storage = storage;
        this.dir = dir;
        this.name = name;
        this.config = config;
        this.provenance = provenance;
        this.checkpoints = checkpoints;
        this.events = events;
        this.epochsLogged = (int) events.stream().filter(RunEvents::isEpoch).count();
    }

    /** The log of a run about to train from {@code state}: a resumed run keeps the events of the epochs it had finished. */
    static RunLog open(HadoopStorage storage, TrainingPlan p, EpochLoop.Checkpointer checkpoints, EpochLoop.LoopState state) throws IOException {
        List<JsonNode> kept = new ArrayList<>();
        for (JsonNode e : RunEvents.read(storage, p.staging())) {
            if (e.path("epoch").asInt() <= state.epoch) {
                kept.add(e);
            }
        }
        String provenance = new String(MetricsJson.pretty(Provenance.of(p.manifest(), p.config().run().seed(), p.data())), StandardCharsets.UTF_8);
        return new RunLog(storage, p.staging(), RunReport.Run.nameOf(p.out()), p.config().properties(), provenance, checkpoints, kept);
    }

    /** provenance.json of the run (its creation time included), as published and shown on the page. */
    String provenance() {
        return provenance;
    }

    /** The step telemetry records the trainer's epochs drain into; {@link #save} logs the new ones at each epoch's end. */
    List<String> steps() {
        return steps;
    }

    /** Where each rank of Kindling's master ran in the last epoch and how long it took; logged per epoch. */
    void ranks(Supplier<List<RankTime>> lastEpoch) {
        this.ranks = lastEpoch;
    }

    @Override
    public void save(ComputationGraph net, EpochLoop.LoopState state) throws Exception {
        checkpoints.save(net, state);
        if (state.stepInEpoch == 0 && state.history.size() > epochsLogged) {
            epochEnded(state);
        }
    }

    private void epochEnded(EpochLoop.LoopState state) throws IOException {
        EpochLoop.EpochRecord record = state.history.get(state.history.size() - 1);
        int epoch = record.epoch() + 1;
        events.addAll(RunEvents.steps(epoch, steps.subList(stepsLogged, steps.size())));
        stepsLogged = steps.size();
        events.add(RunEvents.epoch(record, state.samples, state.steps));
        epochsLogged++;
        List<RankTime> last = ranks.get();
        if (!last.isEmpty()) {
            ObjectNode e = JSON.createObjectNode().put("event", "ranks").put("epoch", epoch);
            e.set("ranks", JSON.valueToTree(last.stream().map(RankTime::toJson).toList()));
            events.add(e);
        }
        RunEvents.write(storage, dir, events);
        storage.replace(storage.child(dir, TensorBoardFile.PATH), TensorBoardFile.of(events));
        storage.replace(storage.child(dir, REPORT), page(null, true));
    }

    /** The report published with the run: every epoch's events and the final metrics. */
    byte[] finalReport(Map<String, Object> metrics) {
        return page(JSON.valueToTree(metrics), false);
    }

    private byte[] page(JsonNode metrics, boolean live) {
        return RunReport.single(new RunReport.Run(name, events, metrics, config, provenance), live).getBytes(StandardCharsets.UTF_8);
    }
}
