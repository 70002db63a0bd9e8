package dev.kindling.spark.hdfs;

import dev.kindling.core.io.Storage;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * {@link Storage} on any Hadoop file system: {@code hdfs://}, {@code file://}, and plain paths (the
 * default file system). Serializable, so executors get one in a closure; each JVM opens its own
 * {@link FileSystem} from the Hadoop configuration Spark gives that JVM ({@link SparkHadoopConf}):
 * a cluster's {@code spark.hadoop.*} settings and {@code HADOOP_CONF_DIR} reach every access.
 */
public final class HadoopStorage implements Storage, Serializable {
    private static final long serialVersionUID = 1L;

    private transient Configuration conf;

    public HadoopStorage() {}

    public HadoopStorage(Configuration conf) {
        this.conf = conf;
    }

    private Configuration conf() {
        if (conf == null) {
            conf = SparkHadoopConf.forThisJvm();
            // A dataset is many small shard files. HDFS's client polls for a closed file's completion from
            // 400 ms up, which made each shard cost ~0.3 s; a 20 ms start brings that to a few ms.
            conf.setIfUnset(COMPLETE_DELAY_KEY, "20");
        }
        return conf;
    }

    static final String COMPLETE_DELAY_KEY = "dfs.client.block.write.locateFollowingBlock.initial.delay.ms";

    private FileSystem fs(Path p) throws IOException {
        return p.getFileSystem(conf());
    }

    /** A fully qualified URI (scheme and, for local paths, an absolute path), so executors agree on it. */
    public String qualify(String uri) {
        try {
            Path p = new Path(uri);
            return fs(p).makeQualified(p).toString();
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("uri=" + uri + ": not a usable file system URI (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public InputStream open(String uri) throws IOException {
        Path p = new Path(uri);
        try {
            return fs(p).open(p);
        } catch (FileNotFoundException e) {
            throw new FileNotFoundException(uri);
        }
    }

    @Override
    public OutputStream create(String uri) throws IOException {
        Path p = new Path(uri);
        return fs(p).create(p, true);
    }

    @Override
    public boolean exists(String uri) throws IOException {
        Path p = new Path(uri);
        return fs(p).exists(p);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Path src = new Path(from);
        Path dst = new Path(to);
        FileSystem fs = fs(src);
        if (fs.exists(dst)) {
            throw new FileAlreadyExistsException(to);
        }
        if (dst.getParent() != null) {
            fs.mkdirs(dst.getParent());
        }
        if (!fs.rename(src, dst)) {
            throw new IOException("rename " + from + " -> " + to + " failed");
        }
    }

    @Override
    public java.util.List<String> list(String dir) throws IOException {
        Path p = new Path(dir);
        FileSystem fs = fs(p);
        if (!fs.exists(p)) {
            return java.util.List.of();
        }
        return java.util.Arrays.stream(fs.listStatus(p)).map(st -> st.getPath().getName()).sorted().toList();
    }

    /** Creates {@code dir} and its parents where missing. */
    public void mkdirs(String dir) throws IOException {
        Path p = new Path(dir);
        if (!fs(p).mkdirs(p)) {
            throw new IOException("mkdirs " + dir + " failed");
        }
    }

    @Override
    public void delete(String uri) throws IOException {
        Path p = new Path(uri);
        fs(p).delete(p, true);
    }

    @Override
    public String child(String base, String child) {
        return new Path(new Path(base), child).toString();
    }

}
