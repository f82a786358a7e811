package io.streamseek.gpu.loader.gguf;

import io.streamseek.gpu.loader.CheckpointException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything before the tensor data, read and validated as a whole: magic {@code "GGUF"}, version
 * (uint32), tensor count and metadata count (uint64 each), the metadata, the tensor infos, then
 * padding up to the alignment, where the data section starts. Tensor offsets in the file are
 * relative to that start; here they are made absolute.
 */
record GgufHeader(int version, GgufMetadata metadata, long alignment, long dataOffset, Map<String, GgufTensor> tensors) {

    static final int VERSION = 3;
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";

    /** A tensor info as stored, before the data section start is known. */
    private record Info(String name, GgmlType type, long[] dims, long relativeOffset, long byteLength) {
    }

    /** Reads the header of {@code file} from {@code window}, which maps the file from byte 0. */
    static GgufHeader read(String file, ByteBuffer window, long fileSize) {
        checkMagic(file, window.duplicate().order(ByteOrder.LITTLE_ENDIAN), fileSize);
        GgufCursor in = new GgufCursor(file, window, fileSize);
        in.u32();  // the magic, checked above
        int version = checkVersion(in, in.u32());
        long tensorCount = in.u64();
        long metadataCount = in.u64();
        GgufMetadata metadata = GgufMetadataReader.read(in, metadataCount);
        long alignment = metadata.integer(ALIGNMENT_KEY, DEFAULT_ALIGNMENT);
        if (alignment <= 0 || Long.bitCount(alignment) != 1) {
            throw in.error(ALIGNMENT_KEY + " is " + alignment + "; it must be a power of two (GGUF's default is 32)");
        }
        List<Info> infos = readInfos(in, tensorCount, alignment);
        long dataOffset = align(in.position(), alignment);
        return new GgufHeader(version, metadata, alignment, dataOffset, place(in, infos, dataOffset));
    }

    static long align(long offset, long alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    private static void checkMagic(String file, ByteBuffer bytes, long fileSize) {
        if (fileSize < 4) {
            throw new CheckpointException(file + ": a " + fileSize + "-byte file is too short for GGUF (its header alone is 24 bytes)");
        }
        String found = hex(bytes, 4);
        if (found.equals("47 47 55 46")) {
            return;
        }
        String hint = "";
        if (found.equals("46 55 47 47")) {
            hint = "; this looks like a GGUF file written big-endian, which this reader does not read:"
                    + " convert it to little-endian (gguf-py's gguf-convert-endian)";
        } else if (fileSize > 8 && bytes.get(8) == '{' && bytes.getLong(0) > 0 && bytes.getLong(0) <= fileSize - 8) {
            hint = "; this looks like a safetensors file: load its directory as a Hugging Face checkpoint instead";
        }
        throw new CheckpointException(file + ": not a GGUF file: it starts with the bytes " + found + " (\"" + text(bytes, 4)
                + "\") where \"GGUF\" (47 47 55 46) was expected" + hint);
    }

    private static int checkVersion(GgufCursor in, long version) {
        if (version == VERSION) {
            return VERSION;
        }
        if (version != 0 && (version & 0xFFFF) == 0) {
            throw in.error("GGUF version reads as " + version + " (0x" + Long.toHexString(version)
                    + "): a big-endian GGUF file, which this reader does not read; convert it to little-endian"
                    + " (gguf-py's gguf-convert-endian)");
        }
        if (version == 1 || version == 2) {
            throw in.error("GGUF version " + version + " is not supported, only version 3: reconvert the model with a"
                    + " current llama.cpp (convert_hf_to_gguf.py), which writes version 3");
        }
        throw in.error("GGUF version " + version + " is not supported, only version 3 (a newer format? update StreamSeek)");
    }

    private static List<Info> readInfos(GgufCursor in, long count, long alignment) {
        List<Info> infos = new ArrayList<>();
        Map<String, Integer> indexByName = new HashMap<>();
        for (int i = 0; Long.compareUnsigned(i, count) < 0; i++) {
            in.reading("tensor info " + (i + 1) + " of " + Long.toUnsignedString(count));
            String name = in.string();
            in.reading("tensor info " + name);
            Integer first = indexByName.putIfAbsent(name, i);
            if (first != null) {
                throw in.error("tensor name " + name + " appears twice (tensor infos " + (first + 1) + " and " + (i + 1) + ")");
            }
            long nDims = in.u32();
            if (nDims > GgufTensor.MAX_DIMS) {
                throw in.error("tensor " + name + " has " + nDims + " dimensions; GGUF (ggml) allows at most " + GgufTensor.MAX_DIMS);
            }
            long[] dims = new long[(int) nDims];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = in.u64();
            }
            long typeAt = in.position();
            long typeId = in.u32();
            long relativeOffset = in.u64();
            GgmlType type = typeId <= Integer.MAX_VALUE ? GgmlType.fromId((int) typeId) : null;
            if (type == null) {
                throw in.error("tensor " + name + " has ggml type id " + typeId + " (offset " + typeAt + "), which this reader"
                        + " does not know: a type newer than StreamSeek, or one ggml has retired (4, 5, 31-33, 36-38)");
            }
            long byteLength = GgufTensor.byteLength(name, type, dims, in::error);
            if (Long.remainderUnsigned(relativeOffset, alignment) != 0) {
                throw in.error("tensor " + name + " has data offset " + Long.toUnsignedString(relativeOffset)
                        + ", not a multiple of the alignment " + alignment);
            }
            infos.add(new Info(name, type, dims, relativeOffset, byteLength));
        }
        return infos;
    }

    /** Makes offsets absolute and checks that every tensor lies inside the file and none overlap. */
    private static Map<String, GgufTensor> place(GgufCursor in, List<Info> infos, long dataOffset) {
        Map<String, GgufTensor> tensors = new LinkedHashMap<>();
        for (Info info : infos) {
            long available = in.fileSize() - dataOffset;
            if (info.relativeOffset() < 0 || info.relativeOffset() > available || info.byteLength() > available - info.relativeOffset()) {
                long start = dataOffset + info.relativeOffset();
                throw in.error("tensor " + info.name() + " (" + info.byteLength() + " bytes at offset "
                        + (info.relativeOffset() < 0 ? "beyond 2^63" : Long.toString(start)) + ") ends past the end of the file ("
                        + in.fileSize() + " bytes): the file is truncated or its tensor info is corrupt");
            }
            tensors.put(info.name(), new GgufTensor(info.name(), info.type(), info.dims(),
                    dataOffset + info.relativeOffset(), info.byteLength()));
        }
        List<GgufTensor> byOffset = new ArrayList<>(tensors.values());
        byOffset.sort(Comparator.comparingLong(GgufTensor::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensor before = byOffset.get(i - 1);
            GgufTensor after = byOffset.get(i);
            if (after.offset() < before.offset() + before.byteLength()) {
                throw in.error("tensors " + before.name() + " and " + after.name() + " overlap: " + before.name() + " ends at "
                        + (before.offset() + before.byteLength()) + ", " + after.name() + " starts at " + after.offset());
            }
        }
        return Collections.unmodifiableMap(tensors);
    }

    private static String hex(ByteBuffer bytes, int n) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            text.append(i == 0 ? "" : " ").append(String.format("%02X", bytes.get(i) & 0xFF));
        }
        return text.toString();
    }

    private static String text(ByteBuffer bytes, int n) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int b = bytes.get(i) & 0xFF;
            text.append(b >= 0x20 && b < 0x7F ? (char) b : '.');
        }
        return text.toString();
    }
}
