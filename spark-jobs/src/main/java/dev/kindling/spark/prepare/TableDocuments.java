package dev.kindling.spark.prepare;

import dev.kindling.spark.config.TableConfig;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * A table's text column as documents, a row each ({@code --dataset=text --text-column}): the row's split
 * from {@code --split-column} or a seeded draw per row; a row without text, or with a split that is not
 * one, fails the job naming its file and row, or with {@code --skip-bad-records} is a skipped document.
 */
final class TableDocuments {
    // the layout of the frame read
    private static final int TEXT = 0;
    private static final int SPLIT = 1;
    private static final int FILE = 2;

    /** The documents of {@code table}; its columns checked first, on the driver. */
    static JavaRDD<Document> of(Dataset<Row> table, TableConfig c, String what, boolean skipBad, long seed) {
        TableColumns.checkText(table, c, what);
        TableColumns.checkSplit(table, c, what);
        List<Column> cols = new ArrayList<>();
        cols.add(functions.col(c.textColumn()));
        cols.add(TableColumns.splitOrNull(c));
        cols.add(functions.input_file_name());
        boolean splitColumn = c.splitColumn() != null;
        return table.select(cols.toArray(Column[]::new)).javaRDD().mapPartitionsWithIndex((partition, rows) -> {
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + partition);
            return new Iterator<Document>() {
                private long row;

                @Override
                public boolean hasNext() {
                    return rows.hasNext();
                }

                @Override
                public Document next() {
                    Row r = rows.next();
                    row++;
                    double u = random.nextDouble(); // drawn for every row, bad or not: a row's split does not depend on others' badness
                    try {
                        if (r.isNullAt(TEXT)) {
                            throw new BadRecord(BadRecord.Reason.MISSING_VALUE, "no text");
                        }
                        return Document.inSplit(splitColumn ? TableColumns.split(r.getString(SPLIT)) : SeededSplit.of(u), r.getString(TEXT));
                    } catch (BadRecord bad) {
                        if (!skipBad) {
                            throw bad.named("table file " + r.getString(FILE) + ", row " + row + " of Spark partition " + partition);
                        }
                        return Document.skipped(bad.reason);
                    }
                }
            };
        }, false);
    }

    /** The text column's non-empty values as lines, for training a tokenizer on them. */
    static JavaRDD<Document> texts(Dataset<Row> table, String textColumn) {
        return table.select(functions.col(textColumn)).javaRDD().filter(r -> !r.isNullAt(0)).map(r -> Document.line(r.getString(0)));
    }

    private TableDocuments() {}
}
