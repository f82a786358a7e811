package io.streamseek.infra.demo;

import io.streamseek.schemas.ChatMessage;
import io.streamseek.schemas.ChatPrompt;
import io.streamseek.schemas.ChatRole;
import io.streamseek.schemas.PromptRequest;
import io.streamseek.schemas.SamplingParams;
import io.streamseek.schemas.TextPrompt;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo's built-in prompts: events of three tenants, as text and chat, with every tenth one
 * invalid in a different way (empty input, impossible sampling, a model the job does not serve),
 * so that the dead-letter path shows too. Ids carry the run's prefix, so a kept data folder's
 * earlier results are not mistaken for this run's.
 */
final class SamplePrompts {

    static final List<String> TENANTS = List.of("acme", "globex", "initech");

    private static final List<String> TEXTS = List.of(
            "Order 1042 was delayed at the Rotterdam hub. Draft a short apology to the customer:",
            "Summarise this support ticket: the invoice PDF will not open on mobile.",
            "Classify the sentiment of: 'the new dashboard is fast but the export is broken'.",
            "Write a one-line release note for: faster checkout, fixed currency rounding.",
            "Extract the city from: 'Shipment from Lyon arrived damaged on Tuesday'.",
            "Suggest a subject line for a renewal reminder email.",
            "Explain in one sentence why the payment service retried three times.",
            "Translate to French: 'your parcel is on its way'.");

    private SamplePrompts() {
    }

    static List<PromptRequest> generate(int count, String runId, Instant now) {
        List<PromptRequest> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String tenant = TENANTS.get(i % TENANTS.size());
            PromptRequest.Builder request = PromptRequest.newBuilder()
                    .setRequestId(runId + "-" + i)
                    .setTenantId(tenant)
                    .setSampling(SamplingParams.newBuilder().setMaxTokens(8 + i % 3 * 8).setTemperature(i % 2 == 0 ? 0f : 0.8f)
                            .setTopP(0.95f).build())
                    .setCreatedAt(now);
            if (i % 4 == 3) {
                request.setInput(new ChatPrompt(List.of(new ChatMessage(ChatRole.SYSTEM, "You answer in one line."),
                        new ChatMessage(ChatRole.USER, TEXTS.get(i % TEXTS.size())))));
            } else {
                request.setInput(new TextPrompt(TEXTS.get(i % TEXTS.size())));
            }
            PromptRequest built = request.build();
            switch (i % 10) {
                case 4 -> built.setInput(new TextPrompt(""));
                case 7 -> built.getSampling().setTopP(0f);
                case 9 -> built.setModel("deepseek-v3-671b");
                default -> {
                }
            }
            prompts.add(built);
        }
        return prompts;
    }
}
