package io.streamseek.gpu.cli;

import java.io.PrintStream;

/** The launcher's commands owned by the engine module; {@code args[0]} names the command. */
public final class GpuOperatorCli {

    private GpuOperatorCli() {
    }

    public static void main(String[] args) {
        // Before the first logger: the engine's INFO lines go to stderr unless the user chose a configuration.
        if (System.getProperty("log4j2.configurationFile") == null && System.getProperty("log4j.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", String.valueOf(GpuOperatorCli.class.getResource("log4j2-cli.properties")));
        }
        int status = run(args, System.out, System.err);
        System.out.flush();
        // The process ends here: a non-daemon thread of a native library must not keep it alive.
        System.exit(status);
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println("usage: GpuOperatorCli <command> [args]");
            return 2;
        }
        try {
            return switch (args[0]) {
                case "make-model" -> MakeModelCommand.run(args, out, err);
                case "quantize" -> QuantizeCommand.run(args, out, err);
                case "infer" -> InferCommand.run(args, out, err);
                case "tokenize" -> TokenizeCommand.run(args, out, err);
                case "bench-engine" -> BenchEngineCommand.run(args, out, err);
                case "bench" -> BenchCommand.run(args, out, err);
                case "bench-gpu" -> BenchGpuCommand.run(args, out, err);
                default -> {
                    err.println("unknown command '" + args[0] + "'");
                    yield 2;
                }
            };
        } catch (Args.UsageException e) {
            err.println(e.getMessage());
            err.println("(./streamseek " + args[0] + " --help shows the options)");
            return 2;
        } catch (Exception e) {
            err.println(args[0] + ": " + e.getMessage());
            return 1;
        }
    }
}
