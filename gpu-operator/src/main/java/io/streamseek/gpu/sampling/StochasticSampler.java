package io.streamseek.gpu.sampling;

/**
 * Temperature sampling with top-k then top-p filtering, on a seeded splitmix64 stream (so results
 * never depend on the JDK's generators). Candidates are the tokens sorted by probability, highest
 * first, ties to the lower id; top-k keeps the first k, top-p the shortest prefix reaching p.
 */
final class StochasticSampler implements Sampler {

    private static final int SELECTION_LIMIT = 32;

    private final SamplingParams params;
    private final int[] order;    // [vocab] candidate ids, sorted by probability
    private final float[] probs;  // [vocab] probability of each id
    private long state;

    StochasticSampler(SamplingParams params, int vocab) {
        this.params = params;
        this.order = new int[vocab];
        this.probs = new float[vocab];
        this.state = params.seed();
    }

    @Override
    public int sample(float[] logits, int offset, int vocab) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < vocab; i++) {
            max = Math.max(max, logits[offset + i]);
        }
        float invT = 1f / params.temperature();
        for (int i = 0; i < vocab; i++) {
            float p = (float) Math.exp((logits[offset + i] - max) * invT);
            probs[i] = p;
            order[i] = i;
        }
        int candidates = vocab;
        boolean limitK = params.topK() > 0 && params.topK() < vocab;
        if (limitK && params.topK() <= SELECTION_LIMIT) {
            selectBest(params.topK(), vocab);
            candidates = params.topK();
        } else if (limitK || params.topP() < 1f) {
            heapSort(vocab);
            candidates = limitK ? params.topK() : vocab;
        }
        double kept = 0;
        for (int i = 0; i < candidates; i++) {
            kept += probs[order[i]];
        }
        if (params.topP() < 1f) {
            double cumulative = 0;
            for (int i = 0; i < candidates; i++) {
                cumulative += probs[order[i]] / kept;
                if (cumulative >= params.topP()) {
                    candidates = i + 1;
                    break;
                }
            }
            kept = 0;
            for (int i = 0; i < candidates; i++) {
                kept += probs[order[i]];
            }
        }
        double draw = nextDouble() * kept;
        double cumulative = 0;
        for (int i = 0; i < candidates; i++) {
            cumulative += probs[order[i]];
            if (draw < cumulative) {
                return order[i];
            }
        }
        return order[candidates - 1];
    }

    /** Moves the {@code k} best ids to the front of {@code order}, best first: O(k·n), for small k. */
    private void selectBest(int k, int n) {
        for (int i = 0; i < k; i++) {
            int best = i;
            for (int j = i + 1; j < n; j++) {
                if (better(order[j], order[best])) {
                    best = j;
                }
            }
            swap(i, best);
        }
    }

    /** Sorts all {@code n} ids best first, in place: O(n log n) without allocating. */
    private void heapSort(int n) {
        // A heap whose root is the worst id; repeatedly moving the root to the end leaves the best first.
        for (int i = n / 2 - 1; i >= 0; i--) {
            siftDown(i, n);
        }
        for (int end = n - 1; end > 0; end--) {
            swap(0, end);
            siftDown(0, end);
        }
    }

    private void siftDown(int i, int n) {
        while (true) {
            int worst = i;
            int left = 2 * i + 1;
            int right = left + 1;
            if (left < n && better(order[worst], order[left])) {
                worst = left;
            }
            if (right < n && better(order[worst], order[right])) {
                worst = right;
            }
            if (worst == i) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        int t = order[a];
        order[a] = order[b];
        order[b] = t;
    }

    private boolean better(int a, int b) {
        return probs[a] > probs[b] || (probs[a] == probs[b] && a < b);
    }

    private double nextDouble() {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }
}
