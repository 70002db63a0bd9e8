package dev.kindling.core.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.factory.Nd4j;

/** What every mergeable metrics class owes Spark: plain serializable state, no records (Kryo 4). */
class MetricsContractTest {

    @ParameterizedTest
    @ValueSource(classes = {ClassificationMetrics.class, RegressionMetrics.class, LanguageModelMetrics.class,
            ExactMatchMetrics.class})
    void holdsOnlyPrimitivesArraysAndArrayLists(Class<?> type) {
        assertTrue(Serializable.class.isAssignableFrom(type));
        assertFalse(type.isRecord());
        for (Field f : type.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers())) {
                continue;
            }
            Class<?> t = f.getType();
            while (t.isArray()) {
                t = t.getComponentType();
            }
            assertTrue(t.isPrimitive() || t == ArrayList.class, type.getSimpleName() + "." + f.getName() + ": " + t);
        }
    }

    static Stream<Arguments> filledMetrics() {
        ClassificationMetrics binary = new ClassificationMetrics(2);
        binary.add(Nd4j.create(new double[][] {{0.8}, {0.4}, {0.6}}), Nd4j.create(new double[][] {{1}, {0}, {1}}));
        ClassificationMetrics softmax = new ClassificationMetrics(3);
        softmax.add(Nd4j.create(new double[][] {{0.7, 0.2, 0.1}}), Nd4j.create(new double[][] {{0, 1, 0}}));
        RegressionMetrics regression = new RegressionMetrics(1);
        regression.add(Nd4j.create(new double[] {1, 2}), Nd4j.create(new double[] {1, 3}), Nd4j.create(new double[] {0, 0}));
        LanguageModelMetrics lm = new LanguageModelMetrics();
        lm.add(Nd4j.create(new double[][][] {{{0.5}, {0.5}}}), Nd4j.create(new double[][] {{1}}), null);
        ExactMatchMetrics exact = new ExactMatchMetrics();
        exact.add(new int[][] {{1, 2}}, new int[][] {{1, 3}});
        Function<Object, Map<String, Object>> classification = o -> ((ClassificationMetrics) o).toJson(List.of());
        return Stream.of(
                Arguments.of(binary, classification),
                Arguments.of(softmax, classification),
                Arguments.of(regression, (Function<Object, Map<String, Object>>) o -> ((RegressionMetrics) o).toJson()),
                Arguments.of(lm, (Function<Object, Map<String, Object>>) o -> ((LanguageModelMetrics) o).toJson()),
                Arguments.of(exact, (Function<Object, Map<String, Object>>) o -> ((ExactMatchMetrics) o).toJson()));
    }

    @ParameterizedTest
    @MethodSource("filledMetrics")
    void javaSerializationKeepsTheReport(Object metrics, Function<Object, Map<String, Object>> json) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(metrics);
        }
        Object copy;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = in.readObject();
        }
        assertEquals(MetricsJson.line(json.apply(metrics)), MetricsJson.line(json.apply(copy)));
    }
}
