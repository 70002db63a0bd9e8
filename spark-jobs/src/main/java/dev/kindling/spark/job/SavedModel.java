package dev.kindling.spark.job;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.Manifest;
import dev.kindling.core.io.InputException;
import dev.kindling.core.model.ModelStore;
import dev.kindling.spark.hdfs.HadoopStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A model.zip read for evaluate or infer: its bytes (to broadcast), the restored model, and the
 * manifest of the dataset it was trained on. Missing, corrupt or foreign zips fail here, naming it.
 */
record SavedModel(byte[] bytes, ModelStore.Loaded loaded, Manifest trained) {

    static SavedModel read(HadoopStorage storage, String modelPath) throws IOException {
        if (!storage.exists(modelPath)) {
            throw new ConfigException("model-path=" + modelPath + ": not found; point it at the model.zip in a train run directory");
        }
        byte[] bytes = storage.readAll(modelPath);
        ModelStore.Loaded loaded = ModelStore.fromBytes(bytes, modelPath);
        String json = loaded.text(ModelStore.MANIFEST_ENTRY);
        if (json == null) {
            throw new InputException("model-path=" + modelPath + ": has no " + ModelStore.MANIFEST_ENTRY + ", so kindling train did not write it; retrain it with Kindling");
        }
        return new SavedModel(bytes, loaded, Manifest.fromJson(json.getBytes(StandardCharsets.UTF_8), modelPath));
    }
}
