package dev.kindling.spark.job;

import dev.kindling.core.data.ShardCheck;
import dev.kindling.core.metrics.Evaluator;
import dev.kindling.core.train.Divergence;
import dev.kindling.core.train.Ema;
import dev.kindling.core.train.EpochLoop;
import dev.kindling.core.train.LocalTrainer;
import dev.kindling.core.train.Progress;
import dev.kindling.core.train.ScratchEpochs;
import dev.kindling.core.train.StepTelemetry;
import dev.kindling.spark.config.RunConfig;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;

/** {@code --dist=local}: one JVM, no Spark, the reference every distributed run is compared with; and scratch-mlp's own loop. */
final class LocalTraining {

    static TrainingContext.Trained run(TrainingContext ctx, ComputationGraph net) throws Exception {
        TrainingPlan p = ctx.plan();
        RunConfig run = p.config().run();
        ShardCheck.Report checked = ctx.checkShards(null);
        List<String> train = checked.usable().get("train");
        Progress progress = new Progress(run.epochs(), run.progressSeconds());
        LocalTrainer trainer = new LocalTrainer(net, train, checked.usable().get("val"), ctx.cachedLoader(), p.manifest(), run.seed(), progress,
                p.listeners(ctx.telemetry()), ctx.augmentation());
        Ema ema = ctx.ema(net);
        if (ema != null) {
            trainer.ema(ema, p.optimizer().accumulate());
        }
        EpochLoop.Outcome outcome;
        try {
            EpochLoop.Epochs epochs = EpochTelemetry.draining(trainer, StepTelemetry::drain, ctx.telemetry(), ctx.log().steps());
            outcome = EpochLoop.run(net, epochs, run.epochs(), run.patience(), p::lrAt, ctx.state(), run.checkpointEvery(),
                    ctx.log(), p.budgetSeconds());
        } catch (Divergence d) {
            throw new IllegalStateException(d.getMessage() + ctx.resumeHint(), d);
        }
        List<String> steps = ctx.log().steps();
        var test = Evaluator.evaluate(net, p.manifest(), checked.usable().get("test").stream().map(ctx.loader()).iterator());
        return new TrainingContext.Trained(net, outcome, test, checked, steps, 1, ema, null);
    }

    /** scratch-mlp: the seed's hand-written backprop at a constant rate; its DL4J twin carries the weights. */
    static TrainingContext.Trained scratch(TrainingContext ctx) throws Exception {
        TrainingPlan p = ctx.plan();
        RunConfig run = p.config().run();
        ShardCheck.Report checked = ctx.checkShards(null);
        double lr = p.config().schedule().lr();
        ScratchEpochs scratch = new ScratchEpochs(p.manifest().featureWidth(), p.manifest().numClasses(), lr, run.seed(),
                checked.usable().get("train"), checked.usable().get("val"), ctx.loader());
        EpochLoop.Outcome outcome = EpochLoop.run(scratch.graph(), scratch, run.epochs(), run.patience(), e -> lr);
        ComputationGraph net = scratch.graph();
        var test = Evaluator.evaluate(net, p.manifest(), checked.usable().get("test").stream().map(ctx.loader()).iterator());
        // the scratch net's own loop has no DL4J listeners, so no step telemetry
        return new TrainingContext.Trained(net, outcome, test, checked, List.of(), 1, null, null);
    }

    private LocalTraining() {}
}
