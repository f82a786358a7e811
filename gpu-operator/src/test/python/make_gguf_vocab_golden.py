#!/usr/bin/env python3
"""Independent cross-check of GgufVocab.fromTokenizerDir: for each DeepSeek-style fixture directory
(src/test/resources/tokenizers/, see make_gguf_tokenizer_fixtures.py) writes a vocab-only GGUF with
gguf-py's own writer, filled the way llama.cpp's convert_hf_to_gguf.py fills it for a gpt2 tokenizer
(token list and types from transformers' AutoTokenizer as its get_vocab_base does; merges, special
token ids, add_bos/add_eos and the chat template from gguf.SpecialVocab), reads the file back with
gguf.GGUFReader and dumps its tokenizer keys to src/test/resources/golden/gguf-vocab-<name>.json.
It also records gguf.BpeVocab's token list, a second, simpler reading of the same files.

Needs gguf (0.10+), transformers and tokenizers. Run: python3 make_gguf_vocab_golden.py"""
import json
import os
import tempfile
from pathlib import Path

import gguf
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
MODULE = HERE.parent.parent.parent
FIXTURES = MODULE / "src/test/resources/tokenizers"
GOLDEN = MODULE / "src/test/resources/golden"
KEYS = gguf.Keys.Tokenizer


def looks_special(text):
    # convert_hf_to_gguf.py's does_token_look_special
    return (text in ("<pad>", "<mask>", "<2mass>", "[@BOS@]") or (text.startswith("<|") and text.endswith("|>"))
            or (text.startswith("<｜") and text.endswith("｜>")) or (text.startswith("<unused") and text.endswith(">")))


def vocab_base(directory):
    """convert_hf_to_gguf.py's get_vocab_base, for a tokenizer directory with an optional config.json."""
    tokenizer = AutoTokenizer.from_pretrained(directory)
    config = directory / "config.json"
    vocab_size = json.loads(config.read_text())["vocab_size"] if config.is_file() else len(tokenizer.vocab)
    reverse = {i: t for t, i in tokenizer.vocab.items()}
    added_vocab = tokenizer.get_added_vocab()
    decoder = tokenizer.added_tokens_decoder
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in reverse:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            continue
        token = reverse[i]
        if token in added_vocab:
            if not decoder[i].normalized:
                token = tokenizer.decode(tokenizer.encode(token, add_special_tokens=False))
            if decoder[i].special or looks_special(token):
                types.append(gguf.TokenType.CONTROL)
            else:
                token = token.replace("\u2581", " ")
                types.append(gguf.TokenType.USER_DEFINED)
        else:
            types.append(gguf.TokenType.NORMAL)
        tokens.append(token)
    return tokens, types


def write_and_read(directory, pre, path):
    tokens, types = vocab_base(directory)
    writer = gguf.GGUFWriter(path=None, arch="deepseek2")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(pre)  # the converter hashes test encodings for it; the fixture is built for this one
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    gguf.SpecialVocab(directory, load_merges=True, n_vocab=len(tokens)).add_to_gguf(writer, quiet=True)
    writer.write_header_to_file(path=path)
    writer.write_kv_data_to_file()
    writer.close()
    reader = gguf.GGUFReader(path)
    value = lambda key: reader.fields[key].contents() if key in reader.fields else None
    return {"model": value(KEYS.MODEL), "pre": value(KEYS.PRE), "tokens": value(KEYS.LIST),
            "token_type": value(KEYS.TOKEN_TYPE), "merges": value(KEYS.MERGES), "bos_token_id": value(KEYS.BOS_ID),
            "eos_token_id": value(KEYS.EOS_ID), "padding_token_id": value(KEYS.PAD_ID),
            "add_bos_token": value(KEYS.ADD_BOS), "add_eos_token": value(KEYS.ADD_EOS),
            "chat_template": value(KEYS.CHAT_TEMPLATE)}


def main():
    for directory in sorted(p for p in FIXTURES.iterdir() if p.is_dir()):
        with tempfile.TemporaryDirectory() as tmp:
            golden = write_and_read(directory, directory.name, os.path.join(tmp, "vocab.gguf"))
        bpe = gguf.BpeVocab(directory)
        golden["bpe_vocab_tokens"] = [text.decode("utf-8") if isinstance(text, bytes) else text
                                      for text, _, _ in bpe.all_tokens()]
        golden["generator"] = "gpu-operator/src/test/python/make_gguf_vocab_golden.py"
        out = GOLDEN / f"gguf-vocab-{directory.name}.json"
        out.write_text(json.dumps(golden, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
        print(out, out.stat().st_size, "bytes")


if __name__ == "__main__":
    main()
