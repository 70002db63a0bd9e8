package dev.kindling.spark.prepare;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.spark.hdfs.SparkHadoopConf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapred.FileSplit;
import org.apache.hadoop.mapred.InputSplit;
import org.apache.hadoop.mapred.TextInputFormat;
import org.apache.spark.api.java.JavaHadoopRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;
import scala.Tuple2;

/**
 * A text corpus on any Hadoop URI: a file, a directory of files, or a glob ({@code hdfs:///corpus/*.txt}),
 * read on the executors as lines in input splits of about {@code splitBytes} (Hadoop's
 * {@code TextInputFormat}: a split starts after the first line break past its offset, so no line is cut).
 * Lines are decoded as strict UTF-8: a malformed byte is an error naming the file and its byte offset.
 * Line breaks ({@code \n}, {@code \r\n}, {@code \r}) are not kept; the corpus puts {@code \n} back.
 *
 * @param uri   the source as given to {@code --source-path}
 * @param files every file it names, in path order
 * @param bytes their total size
 */
record TextFiles(String uri, List<String> files, long bytes) {

    /** Expands {@code uri} on the driver; no match, or only empty files, is a configuration error. */
    static TextFiles find(String uri) {
        return find(uri, "UTF-8 text files");
    }

    /**
     * The same for files of another kind (tables: Spark reads them, but this names a missing source
     * the same way).
     *
     * @param kind what the files should be, for the message
     */
    static TextFiles find(String uri, String kind) {
        Configuration conf = SparkHadoopConf.forThisJvm();
        List<String> files = new ArrayList<>();
        long bytes = 0;
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] matched = fs.globStatus(p);
            for (FileStatus s : matched == null ? new FileStatus[0] : matched) {
                for (FileStatus f : s.isDirectory() ? fs.listStatus(s.getPath()) : new FileStatus[] {s}) {
                    if (f.isFile() && !hidden(f.getPath())) {
                        files.add(f.getPath().toString());
                        bytes += f.getLen();
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("source-path=" + uri + ": unreadable (" + e.getMessage() + "); pass a file, directory or glob on a reachable file system");
        }
        if (files.isEmpty() || bytes == 0) {
            throw new ConfigException("source-path=" + uri + ": " + (files.isEmpty() ? "matches no file" : "only empty files")
                    + "; pass " + kind + ": a file, a directory of them or a glob such as hdfs:///corpus/*.txt");
        }
        files.sort(null);
        return new TextFiles(uri, List.copyOf(files), bytes);
    }

    /** Hadoop's hidden files (_SUCCESS, .crc checksums), which its input formats skip too. */
    private static boolean hidden(Path p) {
        return p.getName().startsWith("_") || p.getName().startsWith(".");
    }

    /**
     * The corpus as lines, one RDD partition per input split of about {@code splitBytes}.
     *
     * @param skipped null: a line that is not UTF-8 fails the task, named; else such lines are left out and
     *                counted here (Spark adds a task's count again if the task is re-run)
     */
    JavaRDD<String> lines(JavaSparkContext sc, long splitBytes, LongAccumulator skipped) {
        int splits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (bytes + splitBytes - 1) / splitBytes));
        @SuppressWarnings("unchecked")
        JavaHadoopRDD<LongWritable, Text> raw = (JavaHadoopRDD<LongWritable, Text>) sc.hadoopFile(String.join(",", files),
                TextInputFormat.class, LongWritable.class, Text.class, splits);
        return raw.mapPartitionsWithInputSplit((split, records) -> decode(split, records, skipped), true);
    }

    /** Strict UTF-8 lines of one input split. Hadoop reuses its Text object: each is decoded before the next is read. */
    private static Iterator<String> decode(InputSplit split, Iterator<Tuple2<LongWritable, Text>> records, LongAccumulator skipped) {
        String file = split instanceof FileSplit fs ? fs.getPath().toString() : split.toString();
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        return new Iterator<>() {
            private String next = advance();

            /** The next good line, or null at the end; a bad line throws, or with {@code skipped} is counted and passed. */
            private String advance() {
                while (records.hasNext()) {
                    Tuple2<LongWritable, Text> r = records.next();
                    Text t = r._2();
                    try {
                        return utf8.decode(ByteBuffer.wrap(t.getBytes(), 0, t.getLength())).toString();
                    } catch (CharacterCodingException e) {
                        if (skipped == null) {
                            throw new InputException("source=" + file + ": the line at byte " + r._1().get() + " is not UTF-8 (" + e.getMessage()
                                    + "); convert the file to UTF-8 (iconv -t UTF-8), leave it out of --source-path, or pass "
                                    + "--skip-bad-records=true to leave such lines out (counted in the manifest)");
                        }
                        skipped.add(1);
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public String next() {
                if (next == null) {
                    throw new java.util.NoSuchElementException();
                }
                String line = next;
                next = advance();
                return line;
            }
        };
    }
}
