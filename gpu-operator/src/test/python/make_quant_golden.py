#!/usr/bin/env python3
"""Golden files for GGUF block formats, written with the `gguf` package (ggml's Python reference)
and numpy, read by io.streamseek.gpu.backend.cpu.BlockFormatsGoldenTest and
io.streamseek.gpu.quantize.BlockQuantizerTest.

Usage (from gpu-operator/):  python3 src/test/python/make_quant_golden.py src/test/resources/golden/quant
Needs: pip install numpy gguf. Deterministic (fixed seeds): rerunning rewrites identical files.

For each TYPE in q8_0 q4_0 q5_0 q4_k q5_k q6_k f16 bf16:
  TYPE.blocks.bin   raw blocks, row-major [rows, cols / block_size] blocks (f16/bf16: 2-byte values)
  TYPE.dequant.npy  float32 [rows, cols]: gguf.quants.dequantize of those bytes
For q8_0 q4_0 f16 bf16 (the formats our quantizer writes):
  TYPE.input.npy    float32 [rows, cols] inputs
  TYPE.quant.bin    gguf.quants.quantize(input) bytes (f16: numpy astype(float16), as gguf does)
"""
import os
import sys

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants
from gguf.constants import GGML_QUANT_SIZES

TYPES = {"q8_0": T.Q8_0, "q4_0": T.Q4_0, "q5_0": T.Q5_0, "q4_k": T.Q4_K, "q5_k": T.Q5_K, "q6_k": T.Q6_K,
         "f16": T.F16, "bf16": T.BF16}


def finite_f16_bits(rng, n):
    """Random f16 bit patterns over the whole finite range (normals, subnormals, zeros, both signs)."""
    bits = rng.integers(0, 1 << 16, size=n, dtype=np.uint32).astype(np.uint16)
    bits[(bits & 0x7C00) == 0x7C00] &= 0xBFFF  # exponent 31 (inf/nan) -> exponent 15
    return bits


def random_blocks(rng, qtype, rows, cols):
    """Random K-quant blocks: random scale and quant bytes, finite random f16 d (and dmin)."""
    block, size = GGML_QUANT_SIZES[qtype]
    n = rows * cols // block
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint16).astype(np.uint8)
    if qtype == T.Q6_K:  # ql[128] qh[64] scales[16] d
        raw[:, 208:210] = finite_f16_bits(rng, n).view(np.uint8).reshape(n, 2)
    elif qtype in (T.Q4_K, T.Q5_K):  # d dmin scales[12] (qh[32]) qs[128]
        raw[:, 0:2] = finite_f16_bits(rng, n).view(np.uint8).reshape(n, 2)
        raw[:, 2:4] = finite_f16_bits(rng, n).view(np.uint8).reshape(n, 2)
    else:  # Q8_0/Q4_0/Q5_0: d first
        raw[:, 0:2] = finite_f16_bits(rng, n).view(np.uint8).reshape(n, 2)
    return raw.reshape(rows, cols // block * size)


def special_inputs(rng, rows, cols):
    """Gaussian rows of varied scale, plus rows that hit the quantizers' edge cases."""
    x = (rng.standard_normal((rows, cols)) * rng.choice([1e-3, 0.02, 1.0, 300.0], size=(rows, 1))).astype(np.float32)
    x[0, :32] = 0.0                                   # an all-zero block: d = 0
    x[0, 32:64] = np.float32(1.0)                     # a constant block
    x[1, :32] = np.arange(-16, 16, dtype=np.float32) * np.float32(0.5)  # exact halves: rounding ties
    x[1, 32:64] = -np.abs(x[1, 32:64]) * 2            # the largest magnitude is negative (Q4_0's signed max)
    x[2, :8] = [1e-8, -1e-8, 6.1e-5, -5.96e-8, 2.98e-8, 65504.0, -65519.0, 1e-40]  # f16 subnormals and limits
    return x


def f16_bf16_inputs(rng, rows, cols):
    x = special_inputs(rng, rows, cols)
    bits = x.view(np.uint32)
    bits[3, :12] = [0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x00000001, 0x807FFFFF,  # inf, nan, f32 subnormals
                    0x3F808000, 0x3F818000, 0x477FF000, 0x477FEFFF, 0x387FE000, 0x33000000]  # ties, f16 overflow edge
    return x


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240611)
    for name, qtype in TYPES.items():
        block, _ = GGML_QUANT_SIZES[qtype]
        cols = 512 if block == 256 else 128          # two super-blocks or four blocks per row
        if qtype in (T.Q4_K, T.Q5_K, T.Q6_K):
            blocks = random_blocks(rng, qtype, 3, cols)
        elif qtype in (T.F16, T.BF16):
            blocks = quants.quantize(f16_bf16_inputs(rng, 4, cols), qtype).view(np.uint8).reshape(4, -1)
        else:  # quantized real-looking rows, then rows of random blocks (any finite d, any quants)
            quantized = quants.quantize(special_inputs(rng, 4, cols), qtype)
            blocks = np.concatenate([quantized, random_blocks(rng, qtype, 2, cols)])
        dequant = quants.dequantize(blocks, qtype).astype(np.float32, copy=False)
        blocks.tofile(os.path.join(out, name + ".blocks.bin"))
        np.save(os.path.join(out, name + ".dequant.npy"), dequant)
        if qtype in (T.Q8_0, T.Q4_0, T.F16, T.BF16):
            x = f16_bf16_inputs(rng, 5, cols) if qtype in (T.F16, T.BF16) else special_inputs(rng, 5, cols)
            q = quants.quantize(x, qtype)
            np.save(os.path.join(out, name + ".input.npy"), x)
            np.ascontiguousarray(q).view(np.uint8).tofile(os.path.join(out, name + ".quant.bin"))


if __name__ == "__main__":
    with np.errstate(over="ignore"):  # f16 inputs beyond 65504 overflow to inf on purpose
        main()
