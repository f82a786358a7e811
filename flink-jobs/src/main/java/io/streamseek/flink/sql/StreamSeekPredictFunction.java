package io.streamseek.flink.sql;

import io.streamseek.flink.inference.Generation;
import io.streamseek.flink.inference.ModelSettings;
import io.streamseek.flink.inference.OutcomeRecords;
import io.streamseek.flink.inference.RequestPreparer;
import io.streamseek.flink.inference.ServedModel;
import io.streamseek.flink.inference.SharedModels;
import io.streamseek.gpu.engine.GenerationResult;
import io.streamseek.gpu.engine.RequestHandle;
import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ChatRole;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.FinishReason;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;

import org.apache.flink.metrics.Counter;
import org.apache.flink.table.data.ArrayData;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;
import org.apache.flink.table.types.logical.LogicalTypeRoot;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ML_PREDICT's runtime for a streamseek model: each row becomes a request to the TaskManager's
 * shared engine ({@link SharedModels}: the DataStream job's continuous batching, paged latent
 * cache, backpressure), and its completion one output row with the declared columns.
 *
 * <p>Replays give the same text: a row's request id, and with it the sampler's seed (unless a
 * {@code seed} column gives one), is a digest of the row's input values, so Flink's re-issue of
 * the calls in flight after a restore samples the same tokens from the batch-invariant engine. A
 * row the engine cannot serve (an over-long prompt, a bad sampling override) yields
 * {@code finish_reason = 'REJECTED'} and the reason in {@code error}; the job never fails on a row.
 */
public final class StreamSeekPredictFunction extends AsyncPredictFunction {

    private static final long serialVersionUID = 1L;
    private static final String DEFAULT_TENANT = "default";

    private final ModelSettings settings;
    private final SamplingDefaults defaults;
    private final ModelColumns columns;
    private transient ServedModel served;
    private transient RequestPreparer preparer;
    private transient Clock clock;
    private transient Map<RequestHandle, Boolean> inFlight;
    private transient Counter generatedTokens;
    private transient Counter rejectedRows;

    StreamSeekPredictFunction(ModelSettings settings, SamplingDefaults defaults, ModelColumns columns) {
        this.settings = settings;
        this.defaults = defaults;
        this.columns = columns;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        served = SharedModels.acquire(settings);
        preparer = new RequestPreparer(settings.modelName(), served.contextLength(), served.tokenizer(), served.chatTemplate());
        clock = Clock.systemUTC();
        inFlight = new ConcurrentHashMap<>();
        generatedTokens = context.getMetricGroup().counter("generatedTokens");
        rejectedRows = context.getMetricGroup().counter("rejectedRows");
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        PromptRequest request;
        try {
            request = request(row);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(rejected(ErrorCode.INVALID_REQUEST, e.getMessage()));
        }
        RequestPreparer.Prepared prepared = preparer.prepare(request, clock.instant());
        if (prepared instanceof RequestPreparer.Rejected rejected) {
            return CompletableFuture.completedFuture(rejected(rejected.code(), rejected.message()));
        }
        Generation generation;
        try {
            generation = Generation.start(served, (RequestPreparer.Accepted) prepared);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException("interrupted while waiting for room in the engine", e);
        }
        RequestHandle handle = generation.handle();
        inFlight.put(handle, Boolean.TRUE);
        return generation.generated().handle((generated, error) -> {
            inFlight.remove(handle);
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                return List.of(output(FinishReason.FAILED, "", null, "INFERENCE_FAILED: the engine failed: " + cause));
            }
            GenerationResult result = generated.result();
            generatedTokens.inc(result.tokens().length);
            FinishReason reason = OutcomeRecords.finishReason(result, generated.stoppedByString());
            String detail = result.error() == null ? reason.name() : result.error();
            String why = switch (reason) {
                case REJECTED -> ErrorCode.INVALID_REQUEST.name() + ": " + detail;
                case FAILED -> ErrorCode.INFERENCE_FAILED.name() + ": " + detail;
                default -> null;
            };
            if (reason == FinishReason.REJECTED) {
                rejectedRows.inc();
            }
            return List.of(output(reason, generated.text(), result, why));
        });
    }

    /** The contract's request for this row: what the DataStream job's requests are, so one preparer validates both. */
    private PromptRequest request(RowData row) {
        ModelColumns.In[] inputs = columns.inputs();
        SamplingParams sampling = SamplingParams.newBuilder()
                .setMaxTokens(defaults.maxTokens())
                .setTemperature((float) defaults.temperature())
                .setTopP((float) defaults.topP())
                .setTopK(defaults.topK())
                .setSeed(null)
                .setStop(defaults.stop())
                .build();
        String tenant = DEFAULT_TENANT;
        Object input = null;
        for (int i = 0; i < inputs.length; i++) {
            if (row.isNullAt(i)) {
                if (inputs[i] == ModelColumns.In.PROMPT) {
                    throw new IllegalArgumentException("the prompt column is null");
                }
                continue; // a null override keeps the model's default
            }
            switch (inputs[i]) {
                case PROMPT -> input = columns.chat() ? chat(row.getArray(i)) : new TextPrompt(row.getString(i).toString());
                case TENANT -> tenant = row.getString(i).toString();
                case MAX_TOKENS -> sampling.setMaxTokens(row.getInt(i));
                case TEMPERATURE -> sampling.setTemperature(floatAt(row, i));
                case TOP_P -> sampling.setTopP(floatAt(row, i));
                case TOP_K -> sampling.setTopK(row.getInt(i));
                case SEED -> sampling.setSeed(row.getLong(i));
                case STOP -> sampling.setStop(strings(row.getArray(i)));
            }
        }
        return PromptRequest.newBuilder()
                .setRequestId(requestId(row))
                .setTenantId(tenant)
                .setInput(input)
                .setSampling(sampling)
                .setCreatedAt(clock.instant())
                .build();
    }

    private float floatAt(RowData row, int i) {
        return columns.inputType(i).is(LogicalTypeRoot.FLOAT) ? row.getFloat(i) : (float) row.getDouble(i);
    }

    private static ChatPrompt chat(ArrayData messages) {
        List<ChatMessage> turns = new ArrayList<>(messages.size());
        for (int m = 0; m < messages.size(); m++) {
            if (messages.isNullAt(m)) {
                throw new IllegalArgumentException("prompt[" + m + "] is null");
            }
            RowData message = messages.getRow(m, 2);
            if (message.isNullAt(0) || message.isNullAt(1)) {
                throw new IllegalArgumentException("prompt[" + m + "] has a null " + (message.isNullAt(0) ? "role" : "content"));
            }
            String role = message.getString(0).toString();
            ChatRole chatRole;
            try {
                chatRole = ChatRole.valueOf(role.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("prompt[" + m + "].role '" + role + "' is not one of system, user, assistant, tool");
            }
            turns.add(new ChatMessage(chatRole, message.getString(1).toString()));
        }
        return new ChatPrompt(turns);
    }

    private static List<String> strings(ArrayData array) {
        List<String> values = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            if (!array.isNullAt(i)) {
                values.add(array.getString(i).toString());
            }
        }
        return values;
    }

    /**
     * {@code sql-} and the first 16 bytes of SHA-256 over the row's input values (each tagged with
     * its column and length): the same row, replayed, is the same request and samples the same tokens.
     */
    private String requestId(RowData row) {
        ModelColumns.In[] inputs = columns.inputs();
        StringBuilder canonical = new StringBuilder();
        for (int i = 0; i < inputs.length; i++) {
            canonical.append(inputs[i].name()).append('=');
            if (row.isNullAt(i)) {
                canonical.append("null;");
                continue;
            }
            String value = switch (inputs[i]) {
                case PROMPT -> columns.chat() ? messagesText(row.getArray(i)) : row.getString(i).toString();
                case TENANT -> row.getString(i).toString();
                case MAX_TOKENS, TOP_K -> Integer.toString(row.getInt(i));
                case TEMPERATURE, TOP_P -> Float.toString(floatAt(row, i));
                case SEED -> Long.toString(row.getLong(i));
                case STOP -> String.join("\u0000", strings(row.getArray(i)));
            };
            canonical.append(value.length()).append(':').append(value).append(';');
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.toString().getBytes(StandardCharsets.UTF_8));
            return "sql-" + HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String messagesText(ArrayData messages) {
        StringBuilder text = new StringBuilder();
        for (int m = 0; m < messages.size(); m++) {
            if (messages.isNullAt(m)) {
                text.append("null|");
                continue;
            }
            RowData message = messages.getRow(m, 2);
            for (int f = 0; f < 2; f++) {
                String s = message.isNullAt(f) ? "null" : message.getString(f).toString();
                text.append(s.length()).append(':').append(s).append('|');
            }
        }
        return text.toString();
    }

    private Collection<RowData> rejected(ErrorCode code, String message) {
        rejectedRows.inc();
        return List.of(output(FinishReason.REJECTED, "", null, code.name() + ": " + message));
    }

    /** One output row in the declared column order; a row not served has no token counts and no cost. */
    private RowData output(FinishReason reason, String text, GenerationResult result, String error) {
        ModelColumns.Out[] outputs = columns.outputs();
        GenericRowData out = new GenericRowData(outputs.length);
        for (int i = 0; i < outputs.length; i++) {
            out.setField(i, switch (outputs[i]) {
                case COMPLETION -> StringData.fromString(text);
                case FINISH_REASON -> StringData.fromString(reason.name());
                case PROMPT_TOKENS -> result == null ? 0 : result.promptTokens();
                case CACHED_PROMPT_TOKENS -> result == null ? 0 : result.cachedPromptTokens();
                case COMPLETION_TOKENS -> result == null ? 0 : result.cost().completionTokens();
                case TIME_TO_FIRST_TOKEN_MS -> result == null || result.firstTokenNanos() < 0 ? null : result.firstTokenNanos() / 1_000_000;
                case COST -> cost(result == null ? BigDecimal.ZERO : result.cost().amount(), i);
                case CURRENCY -> StringData.fromString(result == null ? settings.currency() : result.cost().pricing().currency());
                case ERROR -> error == null ? null : StringData.fromString(error);
            });
        }
        return out;
    }

    private DecimalData cost(BigDecimal amount, int column) {
        int precision = ((org.apache.flink.table.types.logical.DecimalType) columns.outputType(column)).getPrecision();
        return DecimalData.fromBigDecimal(amount.setScale(ModelColumns.COST_SCALE, RoundingMode.HALF_EVEN), precision, ModelColumns.COST_SCALE);
    }

    @Override
    public void close() {
        if (served == null) {
            return;
        }
        // A restored task re-issues these; the shared engine must not keep computing them.
        inFlight.keySet().forEach(RequestHandle::cancel);
        SharedModels.release(served);
        served = null;
    }
}
