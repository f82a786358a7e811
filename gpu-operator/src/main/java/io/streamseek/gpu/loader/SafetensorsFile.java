package io.streamseek.gpu.loader;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@code .safetensors} file: an 8-byte little-endian header length, a JSON header of
 * {@code name → {dtype, shape, data_offsets}}, then the tensors' bytes. The header is validated as a
 * whole at open; tensor data is memory-mapped on demand and never copied.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Hugging Face refuses larger headers too; a corrupt length must not allocate gigabytes. */
    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final FileChannel channel;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.tensors = tensors;
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open: " + e.getMessage(), e);
        }
        try {
            return new SafetensorsFile(path, channel, readHeader(path, channel));
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static Map<String, TensorInfo> readHeader(Path path, FileChannel channel) {
        try {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(path.getFileName() + ": " + size + " bytes is too short for a safetensors file (8-byte header length expected)");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 0 || headerLength > MAX_HEADER_BYTES || 8 + headerLength > size) {
                throw new CheckpointException(path.getFileName() + ": header length " + headerLength + " does not fit a file of "
                        + size + " bytes (truncated or not a safetensors file)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            channel.read(header, 8);
            JsonNode json;
            try {
                json = JSON.readTree(header.array());
            } catch (IOException e) {
                throw new CheckpointException(path.getFileName() + ": the header is not valid JSON: " + e.getMessage(), e);
            }
            long dataStart = 8 + headerLength;
            return parseEntries(path, json, dataStart, size - dataStart);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, TensorInfo> parseEntries(Path path, JsonNode json, long dataStart, long dataLength) {
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = json.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String name = entry.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            JsonNode t = entry.getValue();
            String file = path.getFileName().toString();
            DType dtype = DType.fromHeader(t.path("dtype").asText());
            if (dtype == null) {
                throw new CheckpointException(file + ": tensor " + name + " has unsupported dtype '" + t.path("dtype").asText() + "'");
            }
            JsonNode shapeNode = t.path("shape");
            long[] shape = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeNode.get(i).asLong(-1);
                if (shape[i] < 0) {
                    throw new CheckpointException(file + ": tensor " + name + " has an invalid shape " + shapeNode);
                }
                elements *= shape[i];
            }
            JsonNode offsets = t.path("data_offsets");
            long begin = offsets.path(0).asLong(-1);
            long end = offsets.path(1).asLong(-1);
            if (begin < 0 || end < begin || end > dataLength) {
                throw new CheckpointException(file + ": tensor " + name + " has data_offsets " + offsets + " outside the "
                        + dataLength + " data bytes (truncated file?)");
            }
            if (end - begin != elements * dtype.bytes()) {
                throw new CheckpointException(file + ": tensor " + name + " holds " + (end - begin) + " bytes but shape "
                        + shapeNode + " of " + dtype.headerName() + " needs " + elements * dtype.bytes());
            }
            ranges.add(new long[] {begin, end});
            tensors.put(name, new TensorInfo(name, dtype, shape, path, dataStart + begin, end - begin));
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        for (int i = 1; i < ranges.size(); i++) {
            if (ranges.get(i)[0] < ranges.get(i - 1)[1]) {
                throw new CheckpointException(path.getFileName() + ": tensors overlap at data offset " + ranges.get(i)[0]);
            }
        }
        return tensors;
    }

    public Path path() {
        return path;
    }

    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The tensor's bytes, memory-mapped read-only, little-endian. */
    public ByteBuffer map(TensorInfo tensor) {
        if (tensor.byteLength() > Integer.MAX_VALUE) {
            throw new CheckpointException(path.getFileName() + ": tensor " + tensor.name() + " has " + tensor.byteLength()
                    + " bytes; tensors above 2 GiB are not supported on Java 17");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, tensor.dataStart(), tensor.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path.getFileName() + ": cannot map tensor " + tensor.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }
}
