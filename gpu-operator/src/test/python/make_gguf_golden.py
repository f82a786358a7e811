#!/usr/bin/env python3
"""Regenerates src/test/resources/golden/gguf-python.gguf: a tiny GGUF file written by gguf-py's own
GGUFWriter (the converter llama.cpp ships), so that GgufPythonGoldenTest checks our reader against an
independent writer. Needs the `gguf` and `numpy` packages (pip install gguf). Run from anywhere:

    python3 gpu-operator/src/test/python/make_gguf_golden.py

The Java test reads only the committed file; after changing this script, update the expectations in
GgufPythonGoldenTest (the script prints the tensor offsets GGUFReader sees)."""
import os

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType, GGUFWriter

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "gguf-python.gguf"))


def pattern(n, seed):
    """Bytes the Java test recomputes: byte i is (i * 7 + seed) mod 256."""
    return ((np.arange(n, dtype=np.int64) * 7 + seed) % 256).astype(np.uint8)


def main():
    w = GGUFWriter(OUT, arch="deepseek2")  # writes general.architecture first
    w.add_string("general.name", "golden ✓")
    w.add_uint8("test.uint8", 200)
    w.add_int8("test.int8", -100)
    w.add_uint16("test.uint16", 60000)
    w.add_int16("test.int16", -30000)
    w.add_uint32("test.uint32", 4000000000)
    w.add_int32("test.int32", -2000000000)
    w.add_float32("test.float32", 0.5)
    w.add_bool("test.bool", True)
    w.add_uint64("test.uint64", 18446744073709551615)
    w.add_int64("test.int64", -9000000000000000000)
    w.add_float64("test.float64", 2.718281828459045)
    w.add_array("test.strings", ["a", "bc", "<｜begin▁of▁sentence｜>"])
    w.add_array("test.int32s", [1, -2, 3])
    w.add_array("test.float32s", [0.25, -1.5])
    w.add_key_value("test.uint8s", [1, 2, 255], GGUFValueType.ARRAY, sub_type=GGUFValueType.UINT8)

    # numpy shapes are PyTorch order (last dim contiguous); GGUF stores them reversed.
    w.add_tensor("token_embd.weight", np.arange(12, dtype=np.float32).reshape(3, 4))
    w.add_tensor("output_norm.weight", (np.arange(8, dtype=np.float16) / 4))
    w.add_tensor("blk.0.ffn_gate_inp.weight", pattern(2 * 34 * 2, 1).reshape(2, 2 * 34),
                 raw_dtype=GGMLQuantizationType.Q8_0)  # elements [2, 64]
    w.add_tensor("blk.0.attn_q.weight", pattern(144, 2).reshape(1, 144),
                 raw_dtype=GGMLQuantizationType.Q4_K)  # elements [1, 256]
    w.add_tensor("blk.0.attn_norm.weight", pattern(6, 3).reshape(3, 2),
                 raw_dtype=GGMLQuantizationType.BF16)  # elements [3, 1]
    w.add_tensor("blk.0.exp_probs_b.bias", np.array([7, -8, 9], dtype=np.int32))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    reader = GGUFReader(OUT)
    print(f"{OUT}: {os.path.getsize(OUT)} bytes, data section at {reader.data_offset}")
    for t in reader.tensors:
        print(f"  {t.name} {t.tensor_type.name} dims {list(map(int, t.shape))} offset {t.data_offset} bytes {t.n_bytes}")


if __name__ == "__main__":
    main()
