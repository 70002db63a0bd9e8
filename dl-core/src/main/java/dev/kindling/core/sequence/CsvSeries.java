package dev.kindling.core.sequence;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.data.ArrayRows;
import dev.kindling.core.data.DatasetWriter;
import dev.kindling.core.data.Rows;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code csv-series}: a univariate time series from a CSV file on any URI the storage reads. The file
 * has a header row; the series is its last column, one value per row in time order (other columns,
 * such as a date, are ignored). The series is cut chronologically 80/10/10 into train, val and test
 * before windowing, so no window straddles two splits, and z-scored with the train part's mean and
 * standard deviation (recorded in the manifest). Every window of {@code window} steps followed by
 * {@code horizon} steps is one example (stride 1).
 */
public final class CsvSeries {

    public static DatasetWriter.Source read(Storage storage, String uri, int window, int horizon) throws IOException {
        if (!storage.exists(uri)) {
            throw new ConfigException("source-path=" + uri + ": not found; point it at a CSV file with a header and the series in its last column");
        }
        List<Double> values = new ArrayList<>();
        String column;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(storage.open(uri), StandardCharsets.UTF_8))) {
            String header = r.readLine();
            if (header == null) {
                throw new InputException("source-path=" + uri + ": empty file; expected a header row and one value per row");
            }
            String[] names = header.split(",");
            column = names[names.length - 1].trim();
            int line = 1;
            for (String row = r.readLine(); row != null; row = r.readLine()) {
                line++;
                if (row.isBlank()) {
                    continue;
                }
                String[] cells = row.split(",");
                String cell = cells[cells.length - 1].trim();
                try {
                    double v = Double.parseDouble(cell);
                    if (!Double.isFinite(v)) {
                        throw new NumberFormatException();
                    }
                    values.add(v);
                } catch (NumberFormatException e) {
                    throw new InputException("source-path=" + uri + " line " + line + ": last column '" + cell
                            + "' is not a finite number; the series must be the last column, one number per row");
                }
            }
        }
        return fromValues(uri, column, values.stream().mapToDouble(Double::doubleValue).toArray(), window, horizon);
    }

    static DatasetWriter.Source fromValues(String uri, String column, double[] series, int window, int horizon) {
        int n = series.length;
        int trainEnd = (int) (n * 0.8);
        int valEnd = (int) (n * 0.9);
        int need = window + horizon;
        if (valEnd - trainEnd < need || n - valEnd < need) {
            throw new InputException("source-path=" + uri + ": " + n + " values are too few for window=" + window + " + horizon=" + horizon
                    + " in each of the val and test tenths; need at least " + (10 * need) + " values, or a smaller --window/--horizon");
        }
        double mean = 0;
        for (int i = 0; i < trainEnd; i++) {
            mean += series[i];
        }
        mean /= trainEnd;
        double var = 0;
        for (int i = 0; i < trainEnd; i++) {
            var += (series[i] - mean) * (series[i] - mean);
        }
        double std = Math.sqrt(var / trainEnd);
        if (!(std > 0)) {
            throw new InputException("source-path=" + uri + ": the train part of the series is constant; nothing to forecast");
        }
        Map<String, Rows> splits = new LinkedHashMap<>();
        splits.put("train", windows(series, 0, trainEnd, window, horizon, mean, std));
        splits.put("val", windows(series, trainEnd, valEnd, window, horizon, mean, std));
        splits.put("test", windows(series, valEnd, n, window, horizon, mean, std));
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put("column", column);
        attributes.put("mean", String.valueOf(mean));
        attributes.put("std", String.valueOf(std));
        return SequenceTasks.forecast("csv-series", "csv-series", window, horizon, attributes, splits);
    }

    static ArrayRows windows(double[] s, int from, int to, int window, int horizon, double mean, double std) {
        int count = to - from - window - horizon + 1;
        float[] f = new float[count * window];
        float[] y = new float[count * horizon];
        for (int i = 0; i < count; i++) {
            for (int t = 0; t < window; t++) {
                f[i * window + t] = (float) ((s[from + i + t] - mean) / std); // [C=1, T=window]
            }
            for (int h = 0; h < horizon; h++) {
                y[i * horizon + h] = (float) ((s[from + i + window + h] - mean) / std);
            }
        }
        return new ArrayRows(new int[] {1, window}, f, new int[] {horizon}, y);
    }

    private CsvSeries() {}
}
