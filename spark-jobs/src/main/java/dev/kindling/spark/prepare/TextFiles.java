package dev.kindling.spark.prepare;

import dev.kindling.core.config.ConfigException;
import dev.kindling.core.io.InputException;
import dev.kindling.core.io.Storage;
import dev.kindling.spark.hdfs.SparkHadoopConf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
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
import scala.Tuple2;

/**
 * A text corpus on any Hadoop URI: a file, a directory of files, or a glob ({@code hdfs:///corpus/*.txt}),
 * read on the executors either as lines in input splits of about {@code splitBytes} (Hadoop's
 * {@code TextInputFormat}: a split starts after the first line break past its offset, so no line is cut;
 * line breaks {@code \n}, {@code \r\n}, {@code \r} are not kept, the corpus puts {@code \n} back) or as
 * whole files, packed into partitions of about {@code splitBytes} (their text kept as it is).
 * Text is decoded as strict UTF-8: a malformed byte is an error naming the file and its byte offset.
 *
 * @param uri   the source as given to {@code --source-path}
 * @param files every file it names, in path order
 * @param sizes their sizes, in the same order
 * @param bytes their total size
 */
record TextFiles(String uri, List<String> files, List<Long> sizes, long bytes) {
    /** A document is one Java string and its tokens one array: a larger file is read as lines. */
    static final long MAX_FILE_BYTES = 1L << 30;

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
        List<FileStatus> found = new ArrayList<>();
        try {
            Path p = new Path(uri);
            FileSystem fs = p.getFileSystem(conf);
            FileStatus[] matched = fs.globStatus(p);
            for (FileStatus s : matched == null ? new FileStatus[0] : matched) {
                for (FileStatus f : s.isDirectory() ? fs.listStatus(s.getPath()) : new FileStatus[] {s}) {
                    if (f.isFile() && !hidden(f.getPath())) {
                        found.add(f);
                    }
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("source-path=" + uri + ": unreadable (" + e.getMessage() + "); pass a file, directory or glob on a reachable file system");
        }
        found.sort(Comparator.comparing(f -> f.getPath().toString()));
        long bytes = found.stream().mapToLong(FileStatus::getLen).sum();
        if (found.isEmpty() || bytes == 0) {
            throw new ConfigException("source-path=" + uri + ": " + (found.isEmpty() ? "matches no file" : "only empty files")
                    + "; pass " + kind + ": a file, a directory of them or a glob such as hdfs:///corpus/*.txt");
        }
        return new TextFiles(uri, found.stream().map(f -> f.getPath().toString()).toList(), found.stream().map(FileStatus::getLen).toList(), bytes);
    }

    /** Hadoop's hidden files (_SUCCESS, .crc checksums), which its input formats skip too. */
    private static boolean hidden(Path p) {
        return p.getName().startsWith("_") || p.getName().startsWith(".");
    }

    /**
     * The corpus as lines, one RDD partition per input split of about {@code splitBytes}.
     *
     * @param skipBad false: a line that is not UTF-8 fails the task, named; true: it is left out, a skipped document
     */
    JavaRDD<Document> lines(JavaSparkContext sc, long splitBytes, boolean skipBad) {
        int splits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (bytes + splitBytes - 1) / splitBytes));
        @SuppressWarnings("unchecked")
        JavaHadoopRDD<LongWritable, Text> raw = (JavaHadoopRDD<LongWritable, Text>) sc.hadoopFile(String.join(",", files),
                TextInputFormat.class, LongWritable.class, Text.class, splits);
        return raw.mapPartitionsWithInputSplit((split, records) -> decode(split, records, skipBad), true);
    }

    /**
     * The corpus as whole files, each a document of the split {@link SeededSplit#ofAll} gives its path; files
     * packed in path order into partitions of about {@code splitBytes} (a larger file is a partition alone).
     *
     * @param skipBad false: a file that is not UTF-8 fails the task, named; true: it is left out, a skipped document
     */
    JavaRDD<Document> wholeFiles(JavaSparkContext sc, Storage storage, long splitBytes, boolean skipBad, long seed) {
        List<List<String>> packs = new ArrayList<>();
        long packed = 0; // bytes in the last pack
        for (int i = 0; i < files.size(); i++) {
            if (sizes.get(i) > MAX_FILE_BYTES) {
                throw new ConfigException("source-path=" + uri + ": " + files.get(i) + " holds " + sizes.get(i) + " bytes, more than one document may ("
                        + MAX_FILE_BYTES + "); pass --text-format=lines, or cut the file");
            }
            if (packs.isEmpty() || packed > 0 && packed + sizes.get(i) > splitBytes) {
                packs.add(new ArrayList<>());
                packed = 0;
            }
            packs.get(packs.size() - 1).add(files.get(i));
            packed += sizes.get(i);
        }
        // by the path alone, not the file system's address: the same files split the same way wherever they are
        Map<String, String> splits = SeededSplit.ofAll(seed, files.stream().map(f -> new Path(f).toUri().getPath()).toList());
        // as many slices as packs: Spark's parallelize gives each slice exactly one
        return sc.parallelize(packs, packs.size()).flatMap(pack -> {
            List<Document> documents = new ArrayList<>();
            for (String file : pack) {
                String text = wholeFile(storage, file, skipBad);
                documents.add(text == null ? Document.skipped(BadRecord.Reason.NOT_UTF8)
                        : Document.inSplit(splits.get(new Path(file).toUri().getPath()), text));
            }
            return documents.iterator();
        });
    }

    /** A file's text, strict UTF-8; null when it is not UTF-8 and {@code skipBad}. */
    private static String wholeFile(Storage storage, String file, boolean skipBad) throws IOException {
        byte[] bytes = storage.readAll(file);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never has more chars than bytes
        CoderResult r = strictUtf8().decode(in, out, true);
        if (r.isError()) {
            if (skipBad) {
                return null;
            }
            throw new InputException("source=" + file + ": byte " + in.position() + " is not UTF-8 (" + r + "); convert the file to UTF-8 "
                    + "(iconv -t UTF-8), leave it out of --source-path, or pass --skip-bad-records=true to leave such files out (counted in the manifest)");
        }
        return out.flip().toString();
    }

    private static CharsetDecoder strictUtf8() {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    }

    /** Strict UTF-8 lines of one input split. Hadoop reuses its Text object: each is decoded before the next is read. */
    private static Iterator<Document> decode(InputSplit split, Iterator<Tuple2<LongWritable, Text>> records, boolean skipBad) {
        String file = split instanceof FileSplit fs ? fs.getPath().toString() : split.toString();
        CharsetDecoder utf8 = strictUtf8();
        return new Iterator<>() {
            private Document next = advance();

            /** The next line, or null at the end; a bad line throws, or with {@code skipBad} is a skipped document. */
            private Document advance() {
                if (records.hasNext()) {
                    Tuple2<LongWritable, Text> r = records.next();
                    Text t = r._2();
                    try {
                        return Document.line(utf8.decode(ByteBuffer.wrap(t.getBytes(), 0, t.getLength())).toString());
                    } catch (CharacterCodingException e) {
                        if (!skipBad) {
                            throw new InputException("source=" + file + ": the line at byte " + r._1().get() + " is not UTF-8 (" + e.getMessage()
                                    + "); convert the file to UTF-8 (iconv -t UTF-8), leave it out of --source-path, or pass "
                                    + "--skip-bad-records=true to leave such lines out (counted in the manifest)");
                        }
                        return Document.skipped(BadRecord.Reason.NOT_UTF8);
                    }
                }
                return null;
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public Document next() {
                if (next == null) {
                    throw new java.util.NoSuchElementException();
                }
                Document line = next;
                next = advance();
                return line;
            }
        };
    }
}
