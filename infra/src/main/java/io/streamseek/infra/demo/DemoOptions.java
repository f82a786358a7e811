package io.streamseek.infra.demo;

import java.nio.file.Path;

/**
 * Options of {@code ./streamseek demo}, with the documented defaults: the Confluent ports, state
 * under one data folder, the {@code small} preset generated there on first use.
 *
 * @param prompts sample prompts to produce (valid ones from several tenants, plus a few invalid ones)
 * @param model a checkpoint directory or a GGUF file, or null for the {@code small} preset cached under {@code data}
 * @param data the folder holding the broker's log, the generated model and nothing else
 * @param keepRunning leave the stack and the job up after the summary, until Ctrl-C
 * @param kafkaPort Kafka on 127.0.0.1
 * @param registryPort the schema registry on http://127.0.0.1
 * @param webPort the Flink Web UI
 * @param metricsPort Flink's Prometheus reporter
 */
record DemoOptions(int prompts, Path model, Path data, boolean keepRunning, int kafkaPort, int registryPort, int webPort,
                   int metricsPort) {

    static final String USAGE = String.join("\n",
            "usage: ./streamseek demo [--prompts N] [--model DIR|FILE.gguf] [--data DIR] [--keep-running]",
            "                         [--kafka-port 9092] [--registry-port 8081] [--web-port 8082] [--metrics-port 9249]",
            "  Starts Kafka (KRaft) and the schema registry on loopback, a Flink MiniCluster with its Web UI, submits the",
            "  inference job, produces sample prompts from several tenants (a few invalid, to show the dead-letter path),",
            "  shows completions as they arrive, prints a summary per tenant and the dead letters, and stops everything.",
            "  --prompts N      sample prompts (default 30; at least 5)",
            "  --model PATH     a Hugging Face checkpoint directory or a deepseek2 GGUF file (default: the small preset, generated once under --data)",
            "  --data DIR       state folder (default ./streamseek-data)",
            "  --keep-running   leave the stack and the job running until Ctrl-C");

    static DemoOptions parse(String[] args) {
        int prompts = 30;
        Path model = null;
        Path data = Path.of("streamseek-data");
        boolean keep = false;
        int kafka = 9092;
        int registry = 8081;
        int web = 8082;
        int metrics = 9249;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--keep-running" -> keep = true;
                case "--prompts" -> prompts = number(arg, value(args, ++i, arg));
                case "--model" -> model = Path.of(value(args, ++i, arg));
                case "--data" -> data = Path.of(value(args, ++i, arg));
                case "--kafka-port" -> kafka = port(arg, value(args, ++i, arg));
                case "--registry-port" -> registry = port(arg, value(args, ++i, arg));
                case "--web-port" -> web = port(arg, value(args, ++i, arg));
                case "--metrics-port" -> metrics = port(arg, value(args, ++i, arg));
                default -> throw new IllegalArgumentException("demo: unknown option '" + arg + "'\n" + USAGE);
            }
        }
        if (prompts < 5) {
            throw new IllegalArgumentException("demo: --prompts must be at least 5 (a few are invalid on purpose), was " + prompts);
        }
        return new DemoOptions(prompts, model, data, keep, kafka, registry, web, metrics);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException("demo: " + option + " needs a value\n" + USAGE);
        }
        return args[i];
    }

    private static int number(String option, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("demo: " + option + " must be a number, was '" + value + "'");
        }
    }

    private static int port(String option, String value) {
        int port = number(option, value);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("demo: " + option + " must be in 1..65535, was " + port);
        }
        return port;
    }
}
