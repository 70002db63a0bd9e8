package dev.kindling.spark.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kindling.core.config.CommandLine;
import dev.kindling.core.config.Setting;
import dev.kindling.core.config.Settings;
import dev.kindling.core.config.SettingsLoader;
import dev.kindling.core.optim.OptimConfig;
import dev.kindling.core.optim.OptimizerSpec;
import dev.kindling.spark.config.EvaluateConfig;
import dev.kindling.spark.config.PrepareConfig;
import dev.kindling.spark.config.ReportConfig;
import dev.kindling.spark.config.RunConfig;
import dev.kindling.spark.config.TrainConfig;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.FixedSchedule;

/** Each command reads exactly the keys its --help lists, and model defaults sit under the user's keys. */
class CommandKeysTest {

    @ParameterizedTest
    @EnumSource(Command.class)
    void buildingACommandsConfigReadsExactlyTheKeysItsHelpLists(Command command) {
        SettingsLoader loader = command.loader();
        for (Setting<?> required : new Setting<?>[] {RunConfig.DATA, RunConfig.OUT, EvaluateConfig.MODEL_PATH, PrepareConfig.DATASET, ReportConfig.RUNS}) {
            if (command.keys.contains(required)) {
                loader.set(required, required == PrepareConfig.DATASET ? "seed-sum" : "/tmp/kindling-keys-test");
            }
        }
        Settings s = loader.load();
        command.config.apply(s);
        Set<String> listed = command.keys.stream().map(Setting::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(listed, new TreeSet<>(s.keysRead()), command.cliName + ": keys read vs keys in --help");
        for (String key : listed) {
            assertTrue(command.help().contains("--" + key + " "), command.cliName + " --help lacks --" + key);
        }
    }

    @Test
    void trainHelpListsTheSharedEngineKeysAnEarlierHelpOmitted() {
        String help = Command.TRAIN.help();
        for (String key : new String[] {"encoding", "topk-density", "peer-timeout-seconds", "residual-clip"}) {
            assertTrue(help.contains("--" + key + " "), "train --help lacks --" + key);
        }
    }

    @Test
    void theGptsOwnRecipeIsItsDefaultsThatTheUsersFlagsOverride() {
        OptimConfig gpt = optim("train", "--model=gpt");
        assertEquals(0.9, gpt.beta1());
        assertEquals(0.95, gpt.beta2(), "the seed's GPT AdamW betas as the model's default");
        assertEquals(0.1, gpt.weightDecay(), "and its weight decay");
        assertEquals(3e-4, dev.kindling.core.schedule.ScheduleConfig.from(Kindling.load(Command.TRAIN, CommandLine.parse("train", "--model=gpt"))).lr(),
                "and its learning rate");
        assertEquals(1e-3, dev.kindling.core.schedule.ScheduleConfig.from(Kindling.load(Command.TRAIN,
                CommandLine.parse("train", "--model=gpt", "--lr=1e-3"))).lr(), "a user's --lr wins");
        OptimConfig flagged = optim("train", "--model=gpt", "--beta2=0.99", "--optimizer=adam");
        assertEquals(0.99, flagged.beta2(), "a user's --beta2 wins over the model's default");
        OptimizerSpec spec = OptimizerSpec.from(flagged, new FixedSchedule(1e-3));
        assertEquals(0.99, ((Adam) spec.updater()).getBeta2());
        assertTrue(spec.defaults(1, org.nd4j.linalg.api.buffer.DataType.FLOAT).coupledDecay(), "--optimizer=adam stays L2, not decoupled decay");
        assertEquals(null, optim("train", "--model=mlp").beta2(), "other models keep the optimizer's own default");
    }

    @Test
    void aKeyOfAnotherCommandNamesThatCommand() {
        Cli r = Cli.run("evaluate", "--prompt=hello");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("it is a key of generate"), r.err());
    }

    @Test
    void aMalformedMasterUrlIsAOneLineConfigErrorBeforeSparkStarts() {
        Cli r = Cli.run("train", "--master=spark://nohost:notaport", "--data=/tmp/none", "--out=/tmp/kindling-master-test");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().startsWith("kindling: master=spark://nohost:notaport: not a Spark master URL"), r.err());
        assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        for (String good : new String[] {"local", "local[4]", "local[*]", "local[2, 3]", "spark://a.b:7077", "spark://h1:1,h2:2", "yarn",
                "k8s://https://k:6443"}) {
            assertFalse(Cli.run("train", "--master=" + good, "--help").exit() != 0, good);
            TrainConfig.from(new SettingsLoader(TrainConfig.SETTINGS).set(RunConfig.DATA, "d").set(dev.kindling.spark.config.SparkMaster.MASTER, good).load());
        }
    }

    private static OptimConfig optim(String... args) {
        return OptimConfig.from(Kindling.load(Command.TRAIN, CommandLine.parse(args)));
    }
}
