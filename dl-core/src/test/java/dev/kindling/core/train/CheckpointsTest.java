package dev.kindling.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/** The loop state survives the trip to the replica that writes mid-epoch checkpoints, and older state.json files still read. */
class CheckpointsTest {

    @Test
    void packedStateUnpacksToTheSameState() throws Exception {
        EpochLoop.LoopState s = new EpochLoop.LoopState();
        s.epoch = 3;
        s.stepInEpoch = 12;
        s.workers = 2;
        s.bestLoss = 0.25;
        s.bestEpoch = 2;
        s.sinceBest = 1;
        s.steps = 400;
        s.samples = 25_600;
        s.history.add(new EpochLoop.EpochRecord(0, Double.NaN, 0.5, 0.8, 1e-3, 2.5));
        s.best = Nd4j.createFromArray(1f, 2f, 3f);
        s.ema = Nd4j.createFromArray(4f, 5f);

        EpochLoop.LoopState back = Checkpoints.unpack(Checkpoints.pack(s));

        assertEquals(Checkpoints.toJson(s), Checkpoints.toJson(back));
        assertEquals(2, back.workers);
        assertEquals(s.best, back.best);
        assertEquals(s.ema, back.ema);
        assertEquals(Double.NaN, back.history.get(0).trainLoss(), "a master that reports no training loss stays n/a");

        s.best = null;
        s.ema = null;
        EpochLoop.LoopState none = Checkpoints.unpack(Checkpoints.pack(s));
        assertNull(none.best);
        assertNull(none.ema);
    }

    @Test
    void stateWithoutAWorkerCountCameFromOneJvm() throws Exception {
        EpochLoop.LoopState s = new EpochLoop.LoopState();
        s.workers = 4;
        Map<String, Object> json = new java.util.LinkedHashMap<>(Checkpoints.toJson(s));
        json.remove("workers");
        ObjectMapper mapper = new ObjectMapper();
        assertEquals(1, Checkpoints.fromJson(mapper.readTree(mapper.writeValueAsBytes(json))).workers);
    }
}
