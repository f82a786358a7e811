package io.streamseek.gpu.loader;

import io.streamseek.gpu.backend.cpu.Linear;
import io.streamseek.gpu.backend.cpu.ScalarDot;
import io.streamseek.gpu.config.DeepSeekConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Hugging Face checkpoint directory: {@code config.json} and {@code model.safetensors}, or shards
 * listed in {@code model.safetensors.index.json}. Tensors are looked up by their Hugging Face names,
 * checked against the shape the config implies, and handed out memory-mapped in their storage dtype.
 */
public final class SafetensorsCheckpoint implements Checkpoint {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final DeepSeekConfig config;
    private final List<SafetensorsFile> files;
    private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

    private SafetensorsCheckpoint(Path dir, DeepSeekConfig config, List<SafetensorsFile> files) {
        this.dir = dir;
        this.config = config;
        this.files = files;
        for (SafetensorsFile file : files) {
            tensors.putAll(file.tensors());
        }
    }

    /** Opens a Hugging Face checkpoint directory; {@link Checkpoint#open} picks this or a GGUF file. */
    public static SafetensorsCheckpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(dir + " is not a directory; a Hugging Face checkpoint is a directory with config.json");
        }
        DeepSeekConfig config;
        try {
            config = DeepSeekConfig.read(dir);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(dir + ": " + e.getMessage(), e);
        }
        List<SafetensorsFile> files = new ArrayList<>();
        try {
            for (Path file : shardFiles(dir)) {
                files.add(SafetensorsFile.open(file));
            }
        } catch (RuntimeException e) {
            files.forEach(SafetensorsFile::close);
            throw e;
        }
        return new SafetensorsCheckpoint(dir, config, files);
    }

    private static List<Path> shardFiles(Path dir) {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            JsonNode weightMap;
            try {
                weightMap = JSON.readTree(index.toFile()).path("weight_map");
            } catch (IOException e) {
                throw new CheckpointException(index + " is not valid JSON: " + e.getMessage(), e);
            }
            TreeSet<String> names = new TreeSet<>();
            weightMap.forEach(n -> names.add(n.asText()));
            List<Path> shards = new ArrayList<>();
            for (String name : names) {
                Path shard = dir.resolve(name);
                if (!Files.isRegularFile(shard)) {
                    throw new CheckpointException(index.getFileName() + " lists " + name + ", which is missing from " + dir);
                }
                shards.add(shard);
            }
            return shards;
        }
        Path single = dir.resolve("model.safetensors");
        if (!Files.isRegularFile(single)) {
            throw new CheckpointException(dir + " has neither model.safetensors nor model.safetensors.index.json");
        }
        return List.of(single);
    }

    @Override
    public DeepSeekConfig config() {
        return config;
    }

    public Path dir() {
        return dir;
    }

    @Override
    public Path path() {
        return dir;
    }

    /** Bytes of every tensor in the checkpoint: what loading copies into the JVM heap. */
    @Override
    public long tensorBytes() {
        return tensors.values().stream().mapToLong(TensorInfo::byteLength).sum();
    }

    /** A tensor's header entry, or a named error listing the files searched. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new CheckpointException("tensor " + name + " is missing (searched "
                    + files.stream().map(f -> f.path().getFileName().toString()).toList() + " in " + dir + ")");
        }
        return info;
    }

    /**
     * A linear weight {@code [rows, cols]} in its storage dtype; FP8 weights bring their
     * {@code weight_scale_inv}.
     *
     * @param why how the config implies the shape, for the error message
     */
    @Override
    public Linear linear(String name, int rows, int cols, String why) {
        TensorInfo info = checkShape(name, why, rows, cols);
        ByteBuffer data = map(info);
        return switch (info.dtype()) {
            case F32 -> Linear.of(Linear.Format.F32, rows, cols, data);
            case BF16 -> Linear.of(Linear.Format.BF16, rows, cols, data);
            case F16 -> Linear.of(Linear.Format.F16, rows, cols, data);
            case F8_E4M3 -> {
                String scaleName = name.endsWith(".weight") ? name + "_scale_inv" : name + ".scale_inv";
                int blockRows = (rows + 127) / 128;
                int blockCols = (cols + 127) / 128;
                float[] scales = vector(scaleName, blockRows * blockCols, blockRows, blockCols);
                yield Linear.e4m3(rows, cols, data, scales);
            }
            default -> throw new CheckpointException(file(info) + ": tensor " + name + " has dtype " + info.dtype().headerName()
                    + "; linear weights must be F32, BF16, F16 or F8_E4M3");
        };
    }

    /** A float tensor (norm weights, biases, scales) read into f32. */
    @Override
    public float[] vector(String name, int n, long... shape) {
        TensorInfo info = shape.length == 0 ? checkShape(name, "", n) : checkShape(name, "", shape);
        ByteBuffer data = map(info);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = switch (info.dtype()) {
                case F32 -> data.getFloat(4 * i);
                case BF16 -> ScalarDot.bf16ToFloat(data.getShort(2 * i));
                case F16 -> ScalarDot.f16ToFloat(data.getShort(2 * i));
                default -> throw new CheckpointException(file(info) + ": tensor " + name + " has dtype " + info.dtype().headerName()
                        + "; expected F32, BF16 or F16");
            };
        }
        return values;
    }

    private TensorInfo checkShape(String name, String why, long... expected) {
        TensorInfo info = info(name);
        if (!Arrays.equals(info.shape(), expected)) {
            throw new CheckpointException(file(info) + ": tensor " + name + " has shape " + info.shapeText()
                    + " but config.json implies " + Arrays.toString(expected) + (why.isEmpty() ? "" : " (" + why + ")"));
        }
        return info;
    }

    private ByteBuffer map(TensorInfo info) {
        for (SafetensorsFile file : files) {
            if (file.path().equals(info.file())) {
                return file.map(info);
            }
        }
        throw new IllegalStateException("no open file for " + info.file());
    }

    private static String file(TensorInfo info) {
        return info.file().getFileName().toString();
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
