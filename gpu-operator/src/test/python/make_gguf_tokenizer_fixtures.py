#!/usr/bin/env python3
"""Writes the two DeepSeek-style tokenizer directories the GGUF tokenizer tests read, under
src/test/resources/tokenizers/: `deepseek-v3` (the pre-tokenizer of DeepSeek-V3/R1) and
`deepseek-llm` (the one of DeepSeek-LLM/V2/V2-Lite). Each is a small byte-level BPE trained by
Hugging Face `tokenizers` on the engine's built-in corpus, with DeepSeek's special tokens laid out
as the real checkpoints lay them out (V3: BOS/EOS/pad first, inside the BPE vocab, chat tokens added
after it, some marked special and some not; V2: BOS/EOS added after the BPE vocab), plus ordinary
added tokens. The pre-tokenizer configs are transcribed (with code-point escapes, as the real files'
lookalike letters demand) from the checkpoints' own tokenizer.json files.

Needs `tokenizers` (0.20+). Run from anywhere: python3 make_gguf_tokenizer_fixtures.py
The output is deterministic; rerun only when changing this script."""
import json
import os

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CORPUS = os.path.join(MODULE, "src/main/resources/io/streamseek/gpu/tokenizer/corpus.txt")
OUT = os.path.join(MODULE, "src/test/resources/tokenizers")

BOS, EOS = "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"

DEEPSEEK_V3 = [
    pre_tokenizers.Split(Regex(r"\p{N}{1,3}"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("[\u4E00-\u9FA5\u3040-\u309F\u30A0-\u30FF]+"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+"
                               "| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"), behavior="isolated", invert=False),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
]

DEEPSEEK_LLM_LETTERS = (
    "A-Za-z\u00B5\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u01BA\u01BC-\u01BF\u01C4-\u0293\u0295-\u02AF\u0370-\u0373"
    "\u0376\u0377\u037B-\u037D\u037F\u0386\u0388-\u038A\u038C\u038E-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F"
    "\u0531-\u0556\u10A0-\u10C5\u13A0-\u13F5\u13F8-\u13FD\u1C90-\u1CBA\u1CBD-\u1CBF\u1D00-\u1D2B\u1D6B-\u1D77"
    "\u1D79-\u1D9A\u1E00-\u1F15\u1F18-\u1F1D\u1F20-\u1F45\u1F48-\u1F4D\u1F50-\u1F57\u1F59\u1F5B\u1F5D\u1F5F-\u1F7D"
    "\u1F80-\u1FB4\u1FB6-\u1FBC\u1FBE\u1FC2-\u1FC4\u1FC6-\u1FCC\u1FD0-\u1FD3\u1FD6-\u1FDB\u1FE0-\u1FEC\u1FF2-\u1FF4"
    "\u1FF6-\u1FFC\u2102\u2107\u210A-\u2113\u2115\u2119-\u211D\u2124\u2126\u2128\u212A-\u212D\u212F-\u2134\u2139"
    "\u213C-\u213F\u2145-\u2149\u214E\u2183\u2184\u2C00-\u2C7B\u2C7E-\u2CE4\u2CEB-\u2CEE\u2CF2\u2CF3\uA640-\uA66D"
    "\uA680-\uA69B\uA722-\uA76F\uA771-\uA787\uA78B-\uA78E\uAB70-\uABBF\uFB00-\uFB06\uFB13-\uFB17\uFF21-\uFF3A"
    "\uFF41-\uFF5A\U00010400-\U0001044F\U000104B0-\U000104D3\U000104D8-\U000104FB\U00010C80-\U00010CB2"
    "\U00010CC0-\U00010CF2\U000118A0-\U000118DF\U0001E900-\U0001E943")

DEEPSEEK_LLM = [
    pre_tokenizers.Split(Regex("[\r\n]"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("\\s?[" + DEEPSEEK_LLM_LETTERS + "]+"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("\\s?[!-/:-~\uFF01-\uFF0F\uFF1A-\uFF5E\u2018-\u201F\u3000-\u3002]+"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("\\s+$"), behavior="isolated", invert=False),
    pre_tokenizers.Split(Regex("[\u4E00-\u9FA5\u0800-\u4E00\uAC00-\uD7FF]+"), behavior="isolated", invert=False),
    pre_tokenizers.Digits(individual_digits=True),
    pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False),
]

V3_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}"
               "{% elif m['role'] == 'user' %}{{ '<｜User｜>' + m['content'] }}"
               "{% elif m['role'] == 'assistant' %}{{ '<｜Assistant｜>' + m['content'] + eos_token }}{% endif %}{% endfor %}"
               "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}")
LLM_TEMPLATE = ("{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] + '\\n\\n' }}"
                "{% elif m['role'] == 'user' %}{{ 'User: ' + m['content'] + '\\n\\n' }}"
                "{% elif m['role'] == 'assistant' %}{{ 'Assistant: ' + m['content'] + eos_token }}{% endif %}{% endfor %}"
                "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}")

EXTRA_TEXT = [
    "東京は日本の首都です。ひらがなとカタカナ、漢字を使います。", "北京是中国的首都，上海是最大的城市。",
    "서울은 한국의 수도입니다. 한국어 문장입니다.", "def route(logits, k):\n    return topk(logits, k)\n",
    "for (int i = 0; i < n; i++) { sum += x[i]; }", "12345678901234567890 3.14159 2.71828",
]


def train(pre, special_tokens, vocab_size):
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.Sequence([])  # what DeepSeek's files carry: a no-op
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(pre)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special_tokens, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    with open(CORPUS, encoding="utf-8") as f:
        lines = f.read().splitlines()
    tokenizer.train_from_iterator(lines + EXTRA_TEXT, trainer)
    return tokenizer


def write(name, tokenizer, config, vocab_size=None):
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    tokenizer.save(os.path.join(directory, "tokenizer.json"), pretty=False)
    with open(os.path.join(directory, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)
    if vocab_size is not None:
        with open(os.path.join(directory, "config.json"), "w", encoding="utf-8") as f:
            json.dump({"vocab_size": vocab_size}, f, indent=1)


def token(content, special, normalized):
    return AddedToken(content, special=special, normalized=normalized, lstrip=False, rstrip=False, single_word=False)


def main():
    # DeepSeek-V3 layout: BOS/EOS/pad are ids 0-2, in the BPE vocab; chat tokens come after it.
    v3 = train(DEEPSEEK_V3, [BOS, EOS, "<｜▁pad▁｜>"], 700)
    v3.add_special_tokens([token("<｜place▁holder▁no▁0｜>", True, False), token("<｜place▁holder▁no▁1｜>", True, False)])
    v3.add_tokens([token("<｜User｜>", False, True), token("<｜Assistant｜>", False, True),  # not special, as in V3
                   token("<think>", False, True), token("</think>", False, True), token("StreamSeek", False, False)])
    entry = lambda text: {"__type": "AddedToken", "content": text, "lstrip": False, "normalized": True,
                          "rstrip": False, "single_word": False}
    write("deepseek-v3", v3, {"add_bos_token": True, "add_eos_token": False, "bos_token": entry(BOS),
                              "eos_token": entry(EOS), "pad_token": entry(EOS), "clean_up_tokenization_spaces": False,
                              "legacy": True, "model_max_length": 16384, "tokenizer_class": "PreTrainedTokenizerFast",
                              "chat_template": V3_TEMPLATE},
          vocab_size=v3.get_vocab_size(with_added_tokens=True) + 3)  # like V3's 129280 > 128815: [PAD] ids

    # DeepSeek-LLM / V2 layout: no special token in the BPE vocab; BOS/EOS come right after it.
    llm = train(DEEPSEEK_LLM, [], 600)
    llm.add_special_tokens([token(BOS, True, False), token(EOS, True, False)])
    llm.add_tokens([token("<｜fim▁hole｜>", False, False), token("<pad>", False, False),  # look special: CONTROL
                    token(" StreamSeek", False, False), token("MLA", False, True)])
    write("deepseek-llm", llm, {"add_bos_token": True, "add_eos_token": False, "bos_token": BOS, "eos_token": EOS,
                                "clean_up_tokenization_spaces": False, "legacy": True, "model_max_length": 4096,
                                "tokenizer_class": "PreTrainedTokenizerFast", "chat_template": LLM_TEMPLATE})


if __name__ == "__main__":
    main()
