package dev.kindling.spark.hdfs;

import java.net.URI;
import org.apache.hadoop.fs.RawLocalFileSystem;

/**
 * The local file system under the scheme {@code alias://}, which no Hadoop configuration knows unless
 * told ({@code fs.alias.impl}): a URI of it resolves only where that setting arrived.
 */
public final class AliasFileSystem extends RawLocalFileSystem {
    public static final String SCHEME = "alias";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }
}
