package io.streamseek.gpu.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.interpret.FatalTemplateErrorsException;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders chat messages into a prompt with the checkpoint's Jinja {@code chat_template}, as
 * transformers' {@code apply_chat_template(messages, tokenize=False, add_generation_prompt=True)}
 * does: the template sees {@code messages}, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt} and a {@code raise_exception} function.
 */
public final class ChatTemplate {

    /** One chat turn: role (system, user, assistant, tool) and content. */
    public record Message(String role, String content) {
    }

    private static final String REJECTED = "the chat template rejected the messages: ";

    private final String template;
    private final Jinjava jinjava;

    public ChatTemplate(String template) {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("the checkpoint's tokenizer_config.json has no chat_template; send a plain prompt instead");
        }
        this.template = template;
        this.jinjava = new Jinjava();
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
    }

    public String render(List<Message> messages, String bosToken, String eosToken, boolean addGenerationPrompt) {
        List<Map<String, Object>> turns = new ArrayList<>();
        for (Message message : messages) {
            turns.add(Map.of("role", message.role(), "content", message.content()));
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", turns);
        context.put("bos_token", bosToken == null ? "" : bosToken);
        context.put("eos_token", eosToken == null ? "" : eosToken);
        context.put("add_generation_prompt", addGenerationPrompt);
        try {
            return jinjava.render(template, context);
        } catch (FatalTemplateErrorsException e) {
            throw new IllegalArgumentException(rejection(e).orElse("the chat template failed: " + e.getMessage()), e);
        }
    }

    /** The template's own raise_exception message, which Jinjava wraps in its error list. */
    private static java.util.Optional<String> rejection(FatalTemplateErrorsException e) {
        for (var error : e.getErrors()) {
            for (Throwable t = error.getException(); t != null; t = t.getCause()) {
                if (t.getMessage() != null && t.getMessage().startsWith(REJECTED)) {
                    return java.util.Optional.of(t.getMessage());
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** {@code raise_exception(message)} of Hugging Face chat templates. */
    public static String raiseException(String message) {
        throw new IllegalArgumentException(REJECTED + message);
    }
}
