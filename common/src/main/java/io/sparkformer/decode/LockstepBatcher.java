package io.sparkformer.decode;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns many independent decoding loops (one {@link BeamSearch} or {@link Generator} per sentence,
 * each on its own thread) into batched model calls: every loop asks its own {@link LanguageModel}
 * view for next-token logits; the calls wait until every loop still running has asked, then one
 * batched call answers them all. Greedy and beam search stay exactly the shared implementations,
 * while the model runs one wide batch per decoding step instead of one per sentence.
 */
final class LockstepBatcher {

    /** One pending call: which sentence, its contexts, and (once answered) their logits. */
    static final class Request {
        final int sentence;
        final int[][] contexts;
        double[][] logits;
        RuntimeException error;

        Request(int sentence, int[][] contexts) {
            this.sentence = sentence;
            this.contexts = contexts;
        }
    }

    /** Answers a batch of requests: {@code out[i]} = the logits of {@code requests.get(i).contexts}. */
    @FunctionalInterface
    interface BatchModel {
        double[][][] logits(List<Request> requests);
    }

    private final BatchModel model;
    private final List<Request> pending = new ArrayList<>();
    private int running;

    LockstepBatcher(int loops, BatchModel model) {
        this.running = loops;
        this.model = model;
    }

    /** The language model that loop {@code sentence} decodes with. */
    LanguageModel view(int sentence) {
        return contexts -> call(new Request(sentence, contexts));
    }

    /** Loop finished (or failed): the others no longer wait for it. */
    synchronized void leave() {
        running--;
        if (!pending.isEmpty() && pending.size() == running) {
            answerPending();
        }
    }

    private synchronized double[][] call(Request r) {
        pending.add(r);
        if (pending.size() == running) {
            answerPending();
        }
        while (r.logits == null && r.error == null) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("decoding was interrupted", e);
            }
        }
        if (r.error != null) {
            throw r.error;
        }
        return r.logits;
    }

    private void answerPending() {
        List<Request> batch = new ArrayList<>(pending);
        pending.clear();
        try {
            double[][][] out = model.logits(batch);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).logits = out[i];
            }
        } catch (RuntimeException e) {
            batch.forEach(r -> r.error = e);
        }
        notifyAll();
    }
}
