package io.sparkformer.config;

import java.io.Serializable;

/** How the corpus is split and sharded. */
public record DataConfig(double valFraction, int shards) implements Serializable {
    public DataConfig {
        ConfigChecks.inRange("data.valFraction", valFraction, 0.0, 0.5);
        ConfigChecks.nonNegative("data.shards", shards);
    }
}
