#!/usr/bin/env python3
"""Golden token ids and chat rendering from Hugging Face transformers for the tokenizer that
TokenizerFiles.write(dir, 512, 512) produces (run `./streamseek make-model --preset tiny --out DIR`
to get one). Usage: python3 make_tokenizer_golden.py DIR OUT.json"""
import json
import sys

from transformers import AutoTokenizer

STRINGS = [
    "Hello, world!", "  leading and trailing spaces  ", "\tTabs\tand\nnewlines\n\n", "multiple   spaces   inside",
    "東京は日本の首都です。", "北京是中国的首都", "서울은 한국의 수도", "Москва — столица", "emoji 🚀✅❌📈🤖",
    "combining: e\u0301 a\u0308 n\u0303", "non\u00a0breaking\u2009thin\u3000ideographic spaces", "zero\u200bwidth",
    "Ça va? Naïve café façade Zürich Ångström", "12345678901234567890", "3.14159 2.71828 1e-6",
    "def route(logits, k):\n    return topk(logits, k)", "{\"request_id\": \"req-42\", \"max_tokens\": 64}",
    "<html><p>&amp;</p></html>", "I'm sure they'll say it's fine, we've done it", "UPPER lower MiXeD",
    "<｜begin▁of▁sentence｜>special tokens inside<｜end▁of▁sentence｜>", "", " ", "\n", "a",
    "Die Bestellung wurde versandt.", "¿Dónde está?", "€5 £3 ¥100 ±0.5°C", "…—–", "x" * 300,
]


def main():
    directory, out = sys.argv[1], sys.argv[2]
    tokenizer = AutoTokenizer.from_pretrained(directory)
    chat = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "What is MLA?"},
            {"role": "assistant", "content": "Latent attention."}, {"role": "user", "content": "Thanks 🙏"}]
    golden = {
        "strings": STRINGS,
        "with_special_tokens": [tokenizer(s)["input_ids"] for s in STRINGS],
        "without_special_tokens": [tokenizer(s, add_special_tokens=False)["input_ids"] for s in STRINGS],
        "chat_messages": chat,
        "chat_rendered": tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True),
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump(golden, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
