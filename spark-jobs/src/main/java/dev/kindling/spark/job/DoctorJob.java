package dev.kindling.spark.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.data.Shards;
import dev.kindling.core.diag.Doctor;
import dev.kindling.core.io.RunDirectory;
import dev.kindling.core.metrics.MetricsJson;
import dev.kindling.core.model.Architecture;
import dev.kindling.core.optim.Optimizer;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.spark.config.DoctorConfig;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.schedule.FixedSchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kindling doctor}: the seed's {@code diagnose_model} on a fresh model and the first training
 * batch (output shape, initial loss against ln(classes), per-parameter gradient magnitudes, overfit
 * that batch with Adam lr 0.01 for 100 steps); with {@code --model-path} the first layer whose
 * parameters or activations are NaN/Inf in a saved model; with {@code --run} the seed's
 * troubleshooting table on that run's metrics.json history. Prints every finding with its fix;
 * {@code --out} also writes {@code doctor.json}.
 */
public final class DoctorJob {
    private static final Logger LOG = LoggerFactory.getLogger(DoctorJob.class);
    static final int OVERFIT_STEPS = 100;
    static final double OVERFIT_LR = 0.01;

    public static Map<String, Object> run(DoctorConfig c) throws Exception {
        HadoopStorage storage = new HadoopStorage();
        Architecture arch = c.model().arch();
        if (!arch.distributed()) {
            throw new ConfigException("model=" + arch.cliName() + ": doctor diagnoses DL4J models; " + arch.cliName() + " has its own gradient check test");
        }
        long seed = c.seed();
        String data = storage.qualify(c.data());
        String out = c.out() != null ? storage.qualify(c.out()) : null;
        if (out != null) {
            RunDirectory.checkAbsent(storage, out);
        }
        Manifest m = Shards.manifest(storage, data);
        arch.checkFits(m);
        DataSet batch = Shards.load(storage, Shards.paths(storage, data, m, "train", null).get(0));
        OptimizerSpec optimizer = OptimizerSpec.from(c.optim(), new FixedSchedule(c.lr()));
        ComputationGraph net = new ComputationGraph(optimizer.finish(arch.configure(m, c.model(), optimizer.defaults(seed, DataType.FLOAT))));
        net.init();
        OptimizerSpec adam = new OptimizerSpec(Optimizer.ADAM, new FixedSchedule(OVERFIT_LR), 0.9, 0.9, 0.999, 0, 1);
        ComputationGraph overfit = new ComputationGraph(arch.configure(m, c.model(), adam.defaults(seed, DataType.FLOAT)));
        overfit.init();
        Doctor.Diagnosis d = Doctor.diagnose(net, overfit, batch, m.numClasses(), OVERFIT_STEPS);
        List<Doctor.Finding> findings = new ArrayList<>(d.findings());
        if (c.modelPath() != null) {
            SavedModel saved = SavedModel.read(storage, storage.qualify(c.modelPath()));
            String bad = Doctor.firstNonFinite(saved.loaded().graph(), batch);
            findings.add(bad == null ? new Doctor.Finding("NaN/Inf in saved model", "ok", "parameters and activations on a training batch are finite", "")
                    : new Doctor.Finding("NaN/Inf in saved model", "non-finite", bad, Doctor.EXPLODING));
        }
        if (c.run() != null) {
            findings.addAll(Doctor.readHistory(history(storage, storage.qualify(c.run())), m.numClasses()));
        }
        for (Doctor.Finding f : findings) {
            LOG.info("doctor: {}: {} ({}){}", f.check(), f.verdict(), f.detail(), f.fix().isEmpty() ? "" : " -> " + f.fix());
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", arch.cliName());
        report.put("dataset", m.name());
        report.put("output_shape", d.outputShape());
        report.put("initial_loss", d.initialLoss());
        report.put("expected_initial_loss", d.expectedLoss());
        report.put("gradients", d.gradients());
        report.put("overfit_losses", d.overfitLosses().stream().filter(x -> true).toList());
        report.put("findings", findings.stream().map(Doctor.Finding::toJson).toList());
        report.put("verdicts", findings.stream().filter(f -> !f.ok()).map(Doctor.Finding::verdict).distinct().toList());
        if (out != null) {
            RunDirectory.publish(storage, out, Map.of("doctor.json", MetricsJson.pretty(report)));
        }
        return report;
    }

    /** The epoch history in a run directory's metrics.json. */
    static List<EpochLoop.EpochRecord> history(HadoopStorage storage, String run) throws java.io.IOException {
        String path = storage.child(run, "metrics.json");
        if (!storage.exists(path)) {
            throw new ConfigException("run=" + run + ": no metrics.json there; point --run at a train run directory");
        }
        JsonNode j = new ObjectMapper().readTree(storage.readAll(path));
        List<EpochLoop.EpochRecord> out = new ArrayList<>();
        for (JsonNode h : j.get("history")) {
            out.add(new EpochLoop.EpochRecord(h.get("epoch").asInt() - 1, num(h.get("train_loss")), num(h.get("val_loss")),
                    num(h.get("val_accuracy")), num(h.get("lr")), num(h.get("seconds"))));
        }
        return out;
    }

    private static double num(JsonNode n) {
        return n == null || n.isNull() ? Double.NaN : n.asDouble();
    }

    private DoctorJob() {}
}
