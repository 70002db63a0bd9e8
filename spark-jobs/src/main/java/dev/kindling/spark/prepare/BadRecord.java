package dev.kindling.spark.prepare;

import dev.kindling.core.io.InputException;

/**
 * Why a table row, an image or a line of text cannot become an example. Thrown while a row is read, without a stack trace (a
 * table may hold many, and {@code --skip-bad-records} only counts them); the partition reading the row
 * names its file and position.
 */
final class BadRecord extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The reasons, as counted in the manifest ({@code bad_records.<id>}). */
    enum Reason {
        MISSING_VALUE("missing-value"), NOT_A_NUMBER("not-a-number"), NOT_FINITE("not-finite"), WRONG_LENGTH("wrong-length"),
        UNKNOWN_LABEL("unknown-label"), UNKNOWN_SPLIT("unknown-split"), UNREADABLE_IMAGE("unreadable-image"), EMPTY_CLASS("empty-class"),
        /** Text: a line whose bytes are not UTF-8. */
        NOT_UTF8("not-utf8");

        final String id;

        Reason(String id) {
            this.id = id;
        }
    }

    final Reason reason;

    BadRecord(Reason reason, String detail) {
        super(detail, null, false, false);
        this.reason = reason;
    }

    /** The error that fails the job: where the record is, why it is bad and the fix. */
    InputException named(String where) {
        return new InputException(where + ": " + reason.id + ": " + getMessage() + "; fix it, or pass --skip-bad-records=true to skip such "
                + "records (counted per reason in the manifest)");
    }
}
