package io.sparkformer.checkpoint;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a training run stands, stored as {@code state.json} beside the model so that a resumed run
 * continues exactly: the same step count, the same schedule position and the same data order. Resume
 * state is read from here, never parsed out of directory names.
 *
 * @param step          optimizer steps done
 * @param tokens        training tokens consumed so far
 * @param dataCursor    position in the deterministic batch order: the next batch to train on
 * @param seed          the run's seed (the batch order and dropout derive from it)
 * @param bestValLoss   lowest validation loss seen, in nats per token; {@code NaN} before the first evaluation
 * @param elapsedMillis training wall time so far, summed over resumed runs
 */
public record TrainingState(long step, long tokens, long dataCursor, long seed, double bestValLoss,
                            long elapsedMillis) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    // JSON field names follow metrics.jsonl (snake_case), since users and scripts read both.
    private static final String STEP = "step";
    private static final String TOKENS = "tokens";
    private static final String DATA_CURSOR = "data_cursor";
    private static final String SEED = "seed";
    private static final String BEST_VAL_LOSS = "best_val_loss";
    private static final String ELAPSED_MS = "elapsed_ms";

    public TrainingState {
        nonNegative(STEP, step);
        nonNegative(TOKENS, tokens);
        nonNegative(DATA_CURSOR, dataCursor);
        nonNegative(ELAPSED_MS, elapsedMillis);
        if (!Double.isNaN(bestValLoss) && !(bestValLoss >= 0 && bestValLoss < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException(BEST_VAL_LOSS + " must be NaN (none yet) or a finite loss >= 0, got "
                    + bestValLoss);
        }
    }

    /** A run that has not trained yet. */
    public static TrainingState initial(long seed) {
        return new TrainingState(0, 0, 0, seed, Double.NaN, 0);
    }

    /** Whether a validation loss has been measured ({@link #bestValLoss()} is not NaN). */
    public boolean hasBestValLoss() {
        return !Double.isNaN(bestValLoss);
    }

    /** Pretty-printed JSON; a missing {@code bestValLoss} is written as {@code null} (JSON has no NaN). */
    public String toJson() {
        ObjectNode node = JSON.createObjectNode();
        node.put(STEP, step);
        node.put(TOKENS, tokens);
        node.put(DATA_CURSOR, dataCursor);
        node.put(SEED, seed);
        if (hasBestValLoss()) {
            node.put(BEST_VAL_LOSS, bestValLoss);
        } else {
            node.putNull(BEST_VAL_LOSS);
        }
        node.put(ELAPSED_MS, elapsedMillis);
        try {
            return JSON.writeValueAsString(node) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a tree of numbers as JSON", e);
        }
    }

    /**
     * Reads what {@link #toJson()} wrote. Every field is required; unknown fields are ignored so that
     * older readers accept newer files.
     *
     * @throws IllegalArgumentException with a one-line message naming the offending field
     */
    public static TrainingState fromJson(String json) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("expected a JSON object");
        }
        JsonNode best = field(node, BEST_VAL_LOSS);
        double bestValLoss;
        if (best.isNull()) {
            bestValLoss = Double.NaN;
        } else if (best.isNumber()) {
            bestValLoss = best.doubleValue();
        } else {
            throw new IllegalArgumentException(BEST_VAL_LOSS + " must be a number or null, got " + best);
        }
        return new TrainingState(longField(node, STEP), longField(node, TOKENS), longField(node, DATA_CURSOR),
                longField(node, SEED), bestValLoss, longField(node, ELAPSED_MS));
    }

    private static JsonNode field(JsonNode node, String name) {
        JsonNode value = node.get(name);
        if (value == null) {
            throw new IllegalArgumentException("missing field '" + name + "'");
        }
        return value;
    }

    private static long longField(JsonNode node, String name) {
        JsonNode value = field(node, name);
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            throw new IllegalArgumentException(name + " must be an integer, got " + value);
        }
        return value.longValue();
    }

    private static void nonNegative(String name, long value) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + value);
        }
    }
}
