#!/usr/bin/python3
"""Differential check of `emofuse tokenize` against tokenizer_reference.py (not a CTest:
it takes ~1 minute; run it after changing src/text/{basic_tokenizer,wordpiece,vocab}.c).

Two modes, both feed stdin lines to the CLI and compare every output line:
  --every-codepoint   each code point U+0000..U+10FFFF (except surrogates, \\n) in the
                      contexts "Ab<c>cD <c>" (basic-tokenizer words, --words) and the
                      same line through the full tokenizer (ids);
  --random N          N random lines mixing ASCII, accents, combining marks, CJK,
                      punctuation, whitespace and control characters, emoji, special
                      tokens and invalid UTF-8 bytes (ids).
Differences caused only by the Unicode versions (Python's unicodedata vs utf8proc's) are
reported separately: a code point assigned in utf8proc but not in Python counts as
"version" when Python sees it as unassigned (Cn).

  /usr/bin/python3 tests/reference/tokenizer_exhaustive.py --bin build/emofuse \\
      --vocab ../shared/models/bert-base-uncased/vocab.txt --every-codepoint --random 20000
"""
import argparse
import os
import random
import subprocess
import sys
import unicodedata

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tokenizer_reference as ref  # noqa: E402


def run_cli(binary, args, lines):
    data = b"".join(l + b"\n" for l in lines)
    out = subprocess.run([binary, "tokenize"] + args, input=data, stdout=subprocess.PIPE, check=True).stdout
    got = out.split(b"\n")
    assert got[-1] == b"" and len(got) == len(lines) + 1, (len(got), len(lines))
    return [g.decode("utf-8") for g in got[:-1]]


def expected_words(raw):
    return " ".join(ref.basic_words(ref.lower_each_char(ref.decode_input(raw))))


def expected_ids(raw, vocab):
    return " ".join(map(str, ref.ids_of(ref.tokens_of(ref.decode_input(raw), vocab), vocab)))


def every_codepoint(binary, vocab_path, vocab):
    cps = [c for c in range(0x110000) if not (0xD800 <= c <= 0xDFFF) and c != 10]
    lines = [("Ab%scD %s" % (chr(c), chr(c))).encode("utf-8") for c in cps]
    got_w = run_cli(binary, ["--words"], lines)
    got_i = run_cli(binary, ["--vocab", vocab_path], lines)
    stats = {"same": 0, "version": 0, "diff": 0}
    diffs = []
    for c, raw, gw, gi in zip(cps, lines, got_w, got_i):
        ok = gw == expected_words(raw) and gi == expected_ids(raw, vocab)
        if ok:
            stats["same"] += 1
        elif unicodedata.category(chr(c)) == "Cn":
            stats["version"] += 1
        else:
            stats["diff"] += 1
            diffs.append(c)
    print("every code point: %(same)d same, %(version)d differ only by Unicode version, %(diff)d differ" % stats)
    for c in diffs[:20]:
        print("  U+%04X %s" % (c, unicodedata.name(chr(c), "?")))
    return stats["diff"] == 0


POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") * 4
    + list(" " * 20) + list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
    + list("éÉèàçñöÖüßøÅåæœłİıΣσςΟΔΆάЖжЯ") + ["\u0301", "\u0308", "\u0327", "\u0345", "\u20dd", "\U0001D165"]
    + list("中文字日本語豈兀") + ["\U00020000", "\U0002F800"] + list("カタひら한국어")
    + list("¿¡«»“”‘’—–…·‐※§¶½²€") + ["\t", "\r", "\x00", "\x01", "\x7f", "\x85", "\u00a0", "\u3000",
                                      "\u2028", "\u2029", "\u200b", "\u200d", "\u00ad", "\ufeff", "\ue000",
                                      "\ufffd", "\U000e0001"]
    + list("😀😂❤👍🎉🇫🇷") + ["\ufe0f", "\U0001F3FD"]
    + ["[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]", "[cls]", "[", "]"]
    + ["un", "##", "aff", "able", "ing", "tion"] * 3
)
BAD_BYTES = [b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xc0\xaf",
             b"\xf4\x90\x80\x80", b"\xf0\x9f\x98"]


def random_lines(n, seed, vocab_path, vocab, binary):
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 40)):
            if rng.random() < 0.05:
                parts.append(rng.choice(BAD_BYTES))
            else:
                parts.append(rng.choice(POOL).encode("utf-8"))
        if rng.random() < 0.05:
            parts.append(b"a" * rng.randint(95, 105))
        lines.append(b"".join(parts))
    got = run_cli(binary, ["--vocab", vocab_path], lines)
    bad = [(l, g) for l, g in zip(lines, got) if g != expected_ids(l, vocab)]
    print("random: %d lines, %d differ" % (n, len(bad)))
    for l, g in bad[:10]:
        print("  %r\n    got  %s\n    want %s" % (l, g, expected_ids(l, vocab)))
    return not bad


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="build/emofuse")
    ap.add_argument("--vocab", required=True)
    ap.add_argument("--every-codepoint", action="store_true")
    ap.add_argument("--random", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    vocab = ref.read_vocab(a.vocab)
    ok = True
    if a.every_codepoint:
        ok &= every_codepoint(a.bin, a.vocab, vocab)
    if a.random:
        ok &= random_lines(a.random, a.seed, a.vocab, vocab, a.bin)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
