/**
 * GGUF, llama.cpp's single-file model format: reading ({@link io.streamseek.gpu.loader.gguf.GgufFile})
 * and streaming writing ({@link io.streamseek.gpu.loader.gguf.GgufWriter}) of version 3, little-endian.
 *
 * <p>Layout: {@code "GGUF"}, version (uint32), tensor count and metadata count (uint64); the
 * metadata, each a key string, a {@link io.streamseek.gpu.loader.gguf.GgufValueType} id and the value;
 * the tensor infos, each a name, n_dims, dims (uint64, ne0 first), a
 * {@link io.streamseek.gpu.loader.gguf.GgmlType} id and an offset relative to the data section; zero
 * padding to {@code general.alignment} (32 when absent); then the tensors' data, each at an aligned
 * offset. Strings are a uint64 byte length then UTF-8 without a terminator.
 *
 * <p>This package knows the format, not the model: mapping GGUF tensor names to the engine's weights,
 * and refusing types the kernels cannot compute with, belong to the model loader.
 */
package io.streamseek.gpu.loader.gguf;
