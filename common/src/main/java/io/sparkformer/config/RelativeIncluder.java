package io.sparkformer.config;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigIncludeContext;
import com.typesafe.config.ConfigIncluder;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import org.apache.hadoop.fs.Path;

import java.util.function.Function;

/**
 * {@code include "x.conf"} resolved next to the including file, on whatever file system that file
 * is (Typesafe Config would look on the classpath for a config parsed from text). A missing include
 * is an error, as everything else in a config is; includes nest, each relative to its own file.
 */
final class RelativeIncluder implements ConfigIncluder {
    private static final int MAX_DEPTH = 16;

    private final String including;
    private final Function<String, String> read;
    private final int depth;

    /**
     * @param including the URI or path of the file whose includes this resolves
     * @param read      reads a file's text by URI or path; throws with a one-line message if it cannot
     */
    RelativeIncluder(String including, Function<String, String> read, int depth) {
        this.including = including;
        this.read = read;
        this.depth = depth;
    }

    static ConfigParseOptions options(String file, Function<String, String> read, int depth) {
        return ConfigParseOptions.defaults().setOriginDescription(file).setSyntax(ConfigSyntax.CONF)
                .setIncluder(new RelativeIncluder(file, read, depth)).setAllowMissing(false);
    }

    @Override
    public ConfigIncluder withFallback(ConfigIncluder fallback) {
        return this;
    }

    @Override
    public ConfigObject include(ConfigIncludeContext context, String what) {
        if (depth >= MAX_DEPTH) {
            throw new ConfigException(including + ": includes nest more than " + MAX_DEPTH + " deep (an include cycle?)");
        }
        Path parent = new Path(including).getParent();
        String target = parent == null ? what : new Path(parent, what).toString();
        String text = read.apply(target);
        try {
            return ConfigFactory.parseString(text, options(target, read, depth + 1)).root();
        } catch (com.typesafe.config.ConfigException e) {
            throw new ConfigException("cannot parse " + target + " (included from " + including + "): "
                    + e.getMessage(), e);
        }
    }
}
