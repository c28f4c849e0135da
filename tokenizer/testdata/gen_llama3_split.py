#!/usr/bin/env python3
"""Writes llama3_split.json: random strings and their words under the Llama-3
pre-tokenizer regex, as split by the Python `regex` module (a backtracking
engine with Unicode \\p{L}, \\p{N}, White_Space \\s and (?i) case folding, like
tiktoken's fancy-regex and Hugging Face's Oniguruma).

Run from this directory: python3 gen_llama3_split.py  (needs `pip install regex`).
The character pool avoids code points assigned after Unicode 14, so that Go's
unicode tables and the module's agree.
"""
import json
import random

import regex

PAT = regex.compile(
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

POOL = (
    list("aAbBsStTrReEvVmMlLdDxyz") * 3
    + list("0123456789") * 2
    + list("    ") + ["\t", "\n", "\r", "\r\n", "\n\n", "\x0b", "\x0c"]
    + ["\u00a0", "\u0085", "\u1680", "\u2003", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\ufeff"]
    + list("'''\"`.,;:!?-_()[]{}<>/\\|@#$%^&*+=~")
    + ["\u017f", "\u212a", "\u00e9", "\u00ef", "\u00df", "\u0131", "\u03a3", "\u0436", "\u05d0", "\u0627"]
    + ["\u0301", "\u0308", "\u0903", "\u20dd"]  # combining marks (Mn, Mc, Me)
    + ["\u00b2", "\u00bd", "\u0663", "\u2167", "\u3007", "\u2460"]  # numbers: No, No, Nd, Nl, Nl, No
    + ["\u65e5", "\u672c", "\u8a9e", "\u3042", "\u30ab", "\uac00", "\u0e01", "\u1780", "\u17b6"]
    + ["\U0001f642", "\U0001f999", "\u2705", "\u200d", "\ufe0f", "\u00a9", "\u20ac", "\u2014", "\u2026", "\u00ab"]
)


def main():
    rng = random.Random(20240601)
    cases = []
    for _ in range(400):
        n = rng.randint(1, 24)
        s = "".join(rng.choice(POOL) for _ in range(n))
        cases.append({"text": s, "words": PAT.findall(s)})
    with open("llama3_split.json", "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c) for c in cases) + "\n]\n")


if __name__ == "__main__":
    main()
