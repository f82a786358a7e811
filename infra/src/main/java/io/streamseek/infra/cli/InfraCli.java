package io.streamseek.infra.cli;

import io.streamseek.infra.demo.DemoCommand;

import java.util.Arrays;
import java.util.List;

/** The local-stack commands of {@code ./streamseek}: demo, up, cluster, produce, consume, audit, bench-pipeline, sql. */
public final class InfraCli {

    private InfraCli() {
    }

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: ./streamseek demo|up|cluster|produce|consume|audit|bench-pipeline|sql [options]   (--help for each)");
            System.exit(2);
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (command.equals("demo")) {
            DemoCommand.main(args);
            return;
        }
        String usage = switch (command) {
            case "up" -> UpCommand.USAGE;
            case "produce" -> ProduceCommand.USAGE;
            case "consume" -> ConsumeCommand.USAGE;
            case "cluster" -> ClusterCommand.USAGE;
            case "audit" -> AuditCommand.USAGE;
            case "bench-pipeline" -> BenchPipelineCommand.USAGE;
            case "sql" -> SqlCommand.USAGE;
            default -> null;
        };
        if (usage == null) {
            System.err.println("unknown command '" + command + "'");
            System.exit(2);
        }
        if (List.of(rest).contains("--help")) {
            System.out.println(usage);
            System.exit(0);
        }
        int code;
        try {
            code = switch (command) {
                case "up" -> UpCommand.run(rest, System.out);
                case "produce" -> ProduceCommand.run(rest, System.out);
                case "cluster" -> ClusterCommand.run(rest, System.out);
                case "audit" -> AuditCommand.run(rest, System.out);
                case "bench-pipeline" -> BenchPipelineCommand.run(rest, System.out);
                case "sql" -> SqlCommand.run(rest, System.out);
                default -> ConsumeCommand.run(rest, System.out);
            };
        } catch (IllegalArgumentException | IllegalStateException | io.streamseek.gpu.loader.CheckpointException e) {
            System.err.println(command + ": " + e.getMessage());
            code = 2;
        } catch (Exception e) {
            System.err.println(command + " failed: " + e);
            code = 1;
        }
        System.exit(code);
    }
}
