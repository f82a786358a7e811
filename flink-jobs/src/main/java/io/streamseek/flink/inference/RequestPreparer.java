package io.streamseek.flink.inference;

import io.streamseek.gpu.engine.GenerationRequest;
import io.streamseek.gpu.sampling.SamplingParams;
import io.streamseek.gpu.tokenizer.ChatTemplate;
import io.streamseek.gpu.tokenizer.Tokenizer;
import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ErrorCode;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.TextPrompt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Validation and preparation of one decoded request: everything that can be decided before the
 * engine sees it. A request that cannot be served becomes a {@link Rejected} with the code and a
 * message naming the offending field or limit; the others become an engine request with the
 * prompt templated and tokenized and the sampling seed fixed.
 */
public final class RequestPreparer {

    /** What preparing a request gave. */
    public sealed interface Prepared permits Accepted, Rejected {
    }

    /** Ready for the engine; {@code stopStrings} are the request's, checked as tokens arrive. */
    public record Accepted(GenerationRequest request, List<String> stopStrings) implements Prepared {
    }

    /** Not servable, for the reason given. */
    public record Rejected(ErrorCode code, String message) implements Prepared {
    }

    private final String modelName;
    private final int contextLength;
    private final Tokenizer tokenizer;
    private final ChatTemplate chatTemplate;

    /**
     * @param chatTemplate the model's chat template, or null when it has none
     */
    public RequestPreparer(String modelName, int contextLength, Tokenizer tokenizer, ChatTemplate chatTemplate) {
        this.modelName = modelName;
        this.contextLength = contextLength;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
    }

    public Prepared prepare(PromptRequest request, Instant now) {
        String id = request.getRequestId();
        if (request.getModel() != null && !request.getModel().equals(modelName)) {
            return new Rejected(ErrorCode.UNKNOWN_MODEL, "model '" + request.getModel() + "' is not served by this job; it serves '"
                    + modelName + "' (or leave model null)");
        }
        io.streamseek.schemas.SamplingParams s = request.getSampling();
        if (s.getMaxTokens() < 1) {
            return new Rejected(ErrorCode.INVALID_SAMPLING_PARAMETERS, "sampling.max_tokens must be at least 1, was " + s.getMaxTokens());
        }
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(s.getTemperature(), s.getTopP(), s.getTopK(), s.getSeed() != null ? s.getSeed() : seedOf(id));
        } catch (IllegalArgumentException e) {
            return new Rejected(ErrorCode.INVALID_SAMPLING_PARAMETERS, "sampling." + e.getMessage());
        }
        for (String stop : s.getStop()) {
            if (stop.isEmpty()) {
                return new Rejected(ErrorCode.INVALID_SAMPLING_PARAMETERS, "sampling.stop holds an empty string, which would stop at once");
            }
        }
        if (request.getDeadline() != null && !request.getDeadline().isAfter(now)) {
            return new Rejected(ErrorCode.DEADLINE_EXCEEDED, "deadline " + request.getDeadline() + " had passed when the request was read (" + now + ")");
        }
        int[] prompt;
        Object input = request.getInput();
        if (input instanceof TextPrompt text) {
            if (text.getText().isBlank()) {
                return new Rejected(ErrorCode.EMPTY_INPUT, "input.text is empty");
            }
            prompt = tokenizer.encode(text.getText(), true);
        } else if (input instanceof ChatPrompt chat) {
            if (chat.getMessages().isEmpty()) {
                return new Rejected(ErrorCode.EMPTY_INPUT, "input.messages is empty");
            }
            if (chatTemplate == null) {
                return new Rejected(ErrorCode.INVALID_REQUEST, "model '" + modelName + "' has no chat template; send input as a TextPrompt");
            }
            List<ChatTemplate.Message> messages = new ArrayList<>();
            for (ChatMessage m : chat.getMessages()) {
                messages.add(new ChatTemplate.Message(m.getRole().name().toLowerCase(Locale.ROOT), m.getContent()));
            }
            String rendered;
            try {
                rendered = chatTemplate.render(messages, tokenizer.bosToken(), tokenizer.eosToken(), true);
            } catch (RuntimeException e) {
                return new Rejected(ErrorCode.INVALID_REQUEST, "input.messages cannot be rendered with the chat template: " + e.getMessage());
            }
            prompt = tokenizer.encode(rendered, false);
        } else {
            return new Rejected(ErrorCode.INVALID_REQUEST, "input is neither a TextPrompt nor a ChatPrompt");
        }
        if (prompt.length == 0) {
            return new Rejected(ErrorCode.EMPTY_INPUT, "input tokenizes to no tokens");
        }
        if (prompt.length >= contextLength) {
            return new Rejected(ErrorCode.CONTEXT_LENGTH_EXCEEDED, "the prompt is " + prompt.length + " tokens; model '" + modelName
                    + "' holds " + contextLength + " positions, prompt and generated tokens together");
        }
        int[] stopTokens = tokenizer.eosId() >= 0 ? new int[] {tokenizer.eosId()} : new int[0];
        int priority = request.getPriority() == null ? 0 : request.getPriority();
        return new Accepted(new GenerationRequest(id, request.getTenantId(), prompt, s.getMaxTokens(), sampling, stopTokens, priority,
                request.getDeadline()), List.copyOf(s.getStop()));
    }

    /**
     * The seed of a request that names none: the first 8 bytes of SHA-256 of its id, so a request
     * replayed after a failure samples the same tokens.
     */
    static long seedOf(String requestId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(requestId.getBytes(StandardCharsets.UTF_8));
            long seed = 0;
            for (int i = 0; i < 8; i++) {
                seed = seed << 8 | (digest[i] & 0xff);
            }
            return seed;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
