package dev.kindling.spark.prepare;

import java.io.Serializable;

/**
 * One document of a language-model corpus on its way into an executor's token streams: a line, a whole
 * file or a table row's text, with the split it was drawn or told, or (with {@code --skip-bad-records})
 * only the reason it was left out. A plain class, not a record: Spark's Kryo serializer cannot build records.
 */
final class Document implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The text; null when the document was left out. */
    final String text;
    /** train, val or test; null: the partition's one stream is cut 90 / 5 / 5 by position ({@code --text-format=lines}). */
    final String split;
    /** Why it was left out; null when it was not. */
    final BadRecord.Reason skipped;

    private Document(String text, String split, BadRecord.Reason skipped) {
        this.text = text;
        this.split = split;
        this.skipped = skipped;
    }

    /** A line of a stream cut by position. */
    static Document line(String text) {
        return new Document(text, null, null);
    }

    /** A document that belongs to {@code split} whole. */
    static Document inSplit(String split, String text) {
        return new Document(text, split, null);
    }

    /** A bad record skipped by {@code --skip-bad-records}, counted by the partition that reads it. */
    static Document skipped(BadRecord.Reason reason) {
        return new Document(null, null, reason);
    }
}
