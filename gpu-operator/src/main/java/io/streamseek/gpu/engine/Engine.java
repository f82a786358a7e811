package io.streamseek.gpu.engine;

import io.streamseek.gpu.accounting.CostMeter;
import io.streamseek.gpu.accounting.FlopModel;
import io.streamseek.gpu.accounting.TokenCost;
import io.streamseek.gpu.attention.MlaAttention;
import io.streamseek.gpu.backend.Backends;
import io.streamseek.gpu.backend.ModelRunner;
import io.streamseek.gpu.backend.cpu.KernelThread;
import io.streamseek.gpu.cache.BlockAllocator;
import io.streamseek.gpu.cache.BlockManager;
import io.streamseek.gpu.cache.PagedLatentStore;
import io.streamseek.gpu.engine.GenerationResult.FinishReason;
import io.streamseek.gpu.model.DeepSeekModel;
import io.streamseek.gpu.model.StepBatch;
import io.streamseek.gpu.moe.ep.ExpertLoad;
import io.streamseek.gpu.sampling.Sampler;
import io.streamseek.gpu.scheduler.ScheduledStep;
import io.streamseek.gpu.scheduler.Scheduler;
import io.streamseek.gpu.scheduler.Sequence;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * One model, shared by many callers: {@link #submit} from any thread; one step thread runs the
 * scheduler and the model, step after step, with continuous batching over the paged latent cache.
 * One step reads as: schedule → run → sample → finish.
 */
public final class Engine implements AutoCloseable {

    private final DeepSeekModel model;
    private final EngineConfig config;
    private final PagedLatentStore store;
    private final Scheduler scheduler;
    private final ModelRunner runner;
    private final StepBatch batch = new StepBatch();
    private final LinkedBlockingQueue<Sequence> intake = new LinkedBlockingQueue<>();
    private final AtomicInteger pending = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong preemptions = new AtomicLong();
    private final Thread stepThread;
    private volatile boolean accepting = true;
    private volatile boolean stopping;
    private float[] logits = new float[0];
    private final FlopModel flopModel;
    private long[] stepFlops = new long[0];
    private final AtomicLong stepNanosTotal = new AtomicLong();
    private final AtomicLong unbilledNanos = new AtomicLong();
    private ExpertLoad.Snapshot expertBaseline;

    /** What the engine keeps with each sequence. */
    private record State(GenerationRequest request, RequestHandle handle, Sampler sampler, TokenListener listener,
                         long submitted, long[] firstScheduled, long[] firstToken, CostMeter meter) {
    }

    public Engine(DeepSeekModel model, EngineConfig config) {
        this.model = model;
        this.config = config;
        this.store = new PagedLatentStore(model.numLayers(), model.mlaSpec().cacheRowWidth(), config.blockSize(), config.cacheBytes());
        BlockManager blocks = new BlockManager(new BlockAllocator(store.numBlocks(), config.blockSize()), config.prefixSecret());
        this.scheduler = new Scheduler(blocks, store, config.maxNumSeqs(), config.maxTokensPerStep());
        this.runner = Backends.open(model, config, store);
        this.flopModel = new FlopModel(model);
        // A kernel thread: the CPU backend computes a share of every product on the step thread.
        this.stepThread = new KernelThread(this::run, "streamseek-engine-step");
        this.stepThread.start();
        if (config.warmup()) {
            try {
                Warmup.run(this, model.spec(), config);
            } catch (RuntimeException e) {
                close();    // the step thread and the backend's memory are not left behind by a failed start
                throw e;
            }
            // What the warm-up did is the engine's, not any caller's: counters start after it.
            stepNanosTotal.set(0);
            unbilledNanos.set(0);
            preemptions.set(0);
            expertBaseline = runner.expertLoad();
        }
    }

    /**
     * Queues a request. A request the limits can never hold completes at once with REJECTED.
     *
     * @throws EngineBusyException when {@code maxWaiting} requests are already in flight: slow down and retry
     * @throws IllegalStateException after {@link #close}
     */
    public RequestHandle submit(GenerationRequest request, TokenListener listener) {
        if (!accepting) {
            throw new IllegalStateException("the engine is closed");
        }
        RequestHandle handle = new RequestHandle(request.requestId());
        long now = System.nanoTime();
        String rejection = scheduler.rejection(request.promptTokens().length, request.maxTokens(), model.spec().maxPositions());
        if (rejection == null) {
            for (int id : request.promptTokens()) {
                if (id < 0 || id >= model.spec().vocabSize()) {
                    rejection = "prompt token id " + id + " is outside the vocabulary [0, " + model.spec().vocabSize() + ")";
                    break;
                }
            }
        }
        if (rejection != null) {
            handle.complete(new GenerationResult(request.requestId(), new int[0], FinishReason.REJECTED, rejection,
                    request.promptTokens().length, 0, 0, -1, 0,
                    new CostMeter().result(request.promptTokens().length, 0, 0, -1, config.pricing())));
            return handle;
        }
        if (pending.incrementAndGet() > config.maxWaiting()) {
            pending.decrementAndGet();
            throw new EngineBusyException("the engine has " + config.maxWaiting() + " requests in flight (maxWaiting); retry later");
        }
        long deadline = request.deadline() == null ? Long.MAX_VALUE
                : now + Math.max(0, Duration.between(Instant.now(), request.deadline()).toNanos());
        State state = new State(request, handle, Sampler.create(request.sampling(), model.spec().vocabSize()),
                listener == null ? TokenListener.NONE : listener, now, new long[] {-1}, new long[] {-1}, new CostMeter());
        intake.add(new Sequence(ids.incrementAndGet(), request.tenantId(), request.promptTokens(), request.maxTokens(),
                request.priority(), now, deadline, state));
        return handle;
    }

    private void run() {
        while (!stopping) {
            try {
                Sequence next = scheduler.hasWork() ? intake.poll() : intake.poll(50, TimeUnit.MILLISECONDS);
                for (; next != null; next = intake.poll()) {
                    scheduler.add(next);
                }
            } catch (InterruptedException e) {
                break;
            }
            expireAndCancel();
            if (scheduler.hasWork()) {
                try {
                    step();
                } catch (RuntimeException | Error e) {
                    // Whatever broke the step ends the requests in it with the reason; the engine
                    // keeps serving, and never stalls silently with requests that cannot finish.
                    for (Sequence s : scheduler.all()) {
                        finish(s, FinishReason.FAILED, "an engine step failed: " + e);
                    }
                }
            }
        }
        for (Sequence s : scheduler.all()) {
            finish(s, FinishReason.CANCELLED, "the engine was closed");
        }
        for (Sequence s = intake.poll(); s != null; s = intake.poll()) {
            finish(s, FinishReason.CANCELLED, "the engine was closed");
        }
    }

    private void step() {
        long started = System.nanoTime();
        ScheduledStep plan = scheduler.schedule();
        preemptions.addAndGet(plan.preempted().size());
        if (plan.isEmpty()) {
            return;
        }
        batch.clear();
        long now = System.nanoTime();
        for (ScheduledStep.Work w : plan.work()) {
            State state = (State) w.sequence().attachment;
            if (state.firstScheduled()[0] < 0) {
                state.firstScheduled()[0] = now;
            }
            batch.add(w.sequence().tokens(), w.from(), w.count(), w.from(), w.sequence().cache(),
                    w.naive() ? MlaAttention.Path.NAIVE : MlaAttention.Path.ABSORBED, false);
        }
        int rows = batch.logitRows();
        if (logits.length < rows * model.spec().vocabSize()) {
            logits = new float[rows * model.spec().vocabSize()];
        }
        try {
            runner.forward(batch, logits);
        } catch (RuntimeException e) {
            for (ScheduledStep.Work w : plan.work()) {
                finish(w.sequence(), FinishReason.FAILED, "the forward pass failed: " + e.getMessage());
            }
            return;
        }
        account(plan, System.nanoTime() - started);
        int row = 0;
        int vocab = model.spec().vocabSize();
        for (ScheduledStep.Work w : plan.work()) {
            Sequence s = w.sequence();
            scheduler.computed(w);
            if (w.samples()) {
                sample(s, logits, row * vocab);
            }
            row++;
        }
    }

    /**
     * Splits a step's time over its sequences by their FLOPs (the remainder of the division goes to
     * the last, so the shares add up to the step), and its weight reads by their share of tokens.
     * A share for positions computed again after a preemption is the engine's, not the request's.
     */
    private void account(ScheduledStep plan, long stepNanos) {
        int n = plan.work().size();
        if (stepFlops.length < n) {
            stepFlops = new long[n];
        }
        long totalFlops = 0;
        int totalTokens = 0;
        for (int i = 0; i < n; i++) {
            ScheduledStep.Work w = plan.work().get(i);
            stepFlops[i] = flopModel.rangeFlops(w.from(), w.from() + w.count(), !w.naive(), w.samples());
            totalFlops += stepFlops[i];
            totalTokens += w.count();
        }
        long weightBytes = model.stepWeightBytes(runner.lastStepExperts());
        long cacheBytesPerPosition = 4L * model.numLayers() * model.mlaSpec().cacheRowWidth();
        long blockBytes = cacheBytesPerPosition * config.blockSize();
        long handedOut = 0;
        for (int i = 0; i < n; i++) {
            ScheduledStep.Work w = plan.work().get(i);
            State state = (State) w.sequence().attachment;
            long share = i == n - 1 ? stepNanos - handedOut : (long) ((double) stepNanos * stepFlops[i] / Math.max(1, totalFlops));
            handedOut += share;
            long billed = state.meter().billable(flopModel, w.from(), w.count(), !w.naive(), w.samples());
            double billedFraction = stepFlops[i] == 0 ? 0 : (double) billed / stepFlops[i];
            long contextRead = flopModel.contextBytes(w.from(), w.from() + w.count());
            long bytes = weightBytes * w.count() / Math.max(1, totalTokens) + contextRead;
            long billedNanos = Math.round(share * billedFraction);
            state.meter().charge(billedNanos, Math.round(bytes * billedFraction));
            unbilledNanos.addAndGet(share - billedNanos);
            state.meter().holding(w.sequence().blocksHeld() * blockBytes);
            if (w.samples()) {
                state.meter().token(new TokenCost(stepNanos, n, billed, Math.round(bytes * billedFraction), flopModel.expertsActivated()),
                        System.nanoTime());
            }
        }
        stepNanosTotal.addAndGet(stepNanos);
    }

    private void sample(Sequence s, float[] rowLogits, int offset) {
        State state = (State) s.attachment;
        int vocab = model.spec().vocabSize();
        int token = state.sampler().sample(rowLogits, offset, vocab);
        s.append(token);
        if (state.firstToken()[0] < 0) {
            state.firstToken()[0] = System.nanoTime();
        }
        try {
            state.listener().onToken(token);
        } catch (RuntimeException e) {
            finish(s, FinishReason.FAILED, "the token listener failed: " + e.getMessage());
            return;
        }
        for (int stop : state.request().stopTokens()) {
            if (stop == token) {
                finish(s, FinishReason.STOP, null);
                return;
            }
        }
        if (s.generated() >= s.maxTokens() || s.length() >= model.spec().maxPositions()) {
            finish(s, FinishReason.LENGTH, null);
        }
    }

    private void expireAndCancel() {
        long now = System.nanoTime();
        for (Sequence s : scheduler.all()) {
            State state = (State) s.attachment;
            if (state.handle().isCancelled()) {
                finish(s, FinishReason.CANCELLED, null);
            } else if (now > s.deadlineNanos()) {
                finish(s, FinishReason.TIMED_OUT, "the deadline passed after " + s.generated() + " generated tokens");
            }
        }
    }

    private void finish(Sequence s, FinishReason reason, String error) {
        scheduler.finish(s);
        pending.decrementAndGet();
        State state = (State) s.attachment;
        long now = System.nanoTime();
        long scheduled = state.firstScheduled()[0];
        long queued = (scheduled < 0 ? now : scheduled) - state.submitted();
        long firstToken = state.firstToken()[0] < 0 ? -1 : state.firstToken()[0] - state.submitted();
        state.handle().complete(new GenerationResult(state.request().requestId(), s.generatedTokens(), reason, error,
                s.promptLength(), s.cachedPromptTokens(), queued, firstToken, now - state.submitted(),
                state.meter().result(s.promptLength(), s.cachedPromptTokens(), queued, firstToken, config.pricing())));
    }

    /** Wall time of every step so far: the device time the requests' shares add up to, with {@link #unbilledNanos()}. */
    public long stepNanos() {
        return stepNanosTotal.get();
    }

    /** Step time spent recomputing preempted sequences: the engine's overhead, billed to no request. */
    public long unbilledNanos() {
        return unbilledNanos.get();
    }

    /** The backend running the forward pass, as one line. */
    public String backendDescription() {
        return runner.description();
    }

    /** Work done per routed expert and per expert-parallel rank so far. */
    public ExpertLoad.Snapshot expertLoad() {
        ExpertLoad.Snapshot now = runner.expertLoad();
        return expertBaseline == null ? now : now.minus(expertBaseline);
    }

    /** Sequences preempted so far (their blocks freed, recomputed later). */
    public long preemptions() {
        return preemptions.get();
    }

    /** Blocks the cache holds now; 0 when nothing runs. */
    public int blocksInUse() {
        return store.numBlocks() - availableBlocks();
    }

    private int availableBlocks() {
        return scheduler.availableBlocks();
    }

    /**
     * Stops accepting requests, lets in-flight ones finish for up to {@code grace}, then cancels
     * what is left and stops the step thread.
     */
    public void close(Duration grace) {
        accepting = false;
        long deadline = System.nanoTime() + grace.toNanos();
        while (pending.get() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
            LockSupport.parkNanos(1_000_000);
        }
        stopping = true;
        try {
            stepThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runner.close();
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
