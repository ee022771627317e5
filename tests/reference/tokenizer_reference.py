#!/usr/bin/python3
"""Independent pure-Python reference for emofuse's BERT tokenizer (src/text/*.c).

Re-implements, from its documented behaviour, what HuggingFace's slow BertTokenizer
(bert-base-uncased: do_lower_case=True, tokenize_chinese_chars=True, strip_accents=None)
does in `tokenizer(text)["input_ids"]`, using only Python's unicodedata:

  1. bytes -> str with bytes.decode("utf-8", "replace")           (emofuse's input rule)
  2. PreTrainedTokenizer.tokenize: special tokens ([UNK] [SEP] [PAD] [CLS] [MASK]) that
     occur verbatim are cut out and kept; every other character is lower-cased on its own
     (HF does this with a regex matching one character at a time, so no final-sigma rule);
  3. BasicTokenizer on each remaining stretch: drop NUL/U+FFFD/C* except \\t\\n\\r, map
     whitespace (\\t \\n \\r ' ' Zs) to ' ', pad CJK ideographs with spaces, NFC, str.split(),
     per word: lower(), NFD, drop Mn, split off punctuation (P* or ASCII 33-47 58-64 91-96
     123-126);
  4. WordPiece: > 100 code points -> [UNK]; greedy longest match, "##" after the first
     piece; any unmatched remainder -> the whole word is [UNK];
  5. [CLS] + ids + [SEP].

`transformers` is not installed here (nor needed): this file is the oracle the C test
compares against, written without looking at the C code.

Regenerate the fixtures (needs the real vocab in ../shared):
  /usr/bin/python3 tests/reference/tokenizer_reference.py \\
      --vocab ../shared/models/bert-base-uncased/vocab.txt --out tests/fixtures/tokenizer
It writes cases.tsv (full tokenizer) and basic_cases.tsv (basic tokenizer words).
TSV columns: cases.tsv: name, mode (0 = special tokens recognised, 1 = special tokens
as plain text), escaped text, expected ids, expected tokens (for humans);
basic_cases.tsv: name, escaped text, escaped words separated by single spaces.
Text escapes: \\\\ \\t \\n \\r and \\xHH for any other byte that is not printable
(controls, format characters, separators other than ' ', invalid UTF-8 bytes).

Self-check without a vocab file:  /usr/bin/python3 tests/reference/tokenizer_reference.py --selftest
"""
import argparse
import os
import sys
import unicodedata

SPECIALS = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]
MAX_WORD_CHARS = 100


# ----------------------------------------------------------------------------- vocab
def read_vocab(path):
    with open(path, "r", encoding="utf-8", newline="") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    vocab = {}
    for i, tok in enumerate(lines):
        vocab.setdefault(tok, i)
    return vocab


# ----------------------------------------------------------------------------- classes
def cat(ch):
    return unicodedata.category(ch)


def dropped_by_cleaning(ch):
    o = ord(ch)
    if o == 0 or o == 0xFFFD:
        return True
    if ch in "\t\n\r":
        return False
    return cat(ch)[0] == "C"


def blank(ch):
    return ch in " \t\n\r" or cat(ch) == "Zs"


def punct(ch):
    o = ord(ch)
    if 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126:
        return True
    return cat(ch)[0] == "P"


CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]


def cjk(ch):
    o = ord(ch)
    return any(lo <= o <= hi for lo, hi in CJK_RANGES)


# ----------------------------------------------------------------------------- basic
def basic_words(text):
    """BasicTokenizer.tokenize on already character-wise lower-cased text."""
    kept = []
    for ch in text:
        if dropped_by_cleaning(ch):
            continue
        if blank(ch):
            kept.append(" ")
        elif cjk(ch):
            kept.append(" " + ch + " ")
        else:
            kept.append(ch)
    text = unicodedata.normalize("NFC", "".join(kept))
    out = []
    for word in text.split():
        word = word.lower()
        word = "".join(c for c in unicodedata.normalize("NFD", word) if cat(c) != "Mn")
        cur = ""
        for c in word:
            if punct(c):
                if cur:
                    out.append(cur)
                    cur = ""
                out.append(c)
            else:
                cur += c
        if cur:
            out.append(cur)
    # HF re-splits the joined words on whitespace; nothing above produces any, but keep it.
    return " ".join(out).split()


def lower_each_char(text):
    return "".join(c.lower() for c in text)


# ----------------------------------------------------------------------------- wordpiece
def wordpiece(word, vocab):
    if len(word) > MAX_WORD_CHARS:
        return ["[UNK]"]
    pieces = []
    i = 0
    while i < len(word):
        for j in range(len(word), i, -1):
            cand = word[i:j] if i == 0 else "##" + word[i:j]
            if cand in vocab:
                pieces.append(cand)
                i = j
                break
        else:
            return ["[UNK]"]
    return pieces


# ----------------------------------------------------------------------------- full
def split_specials(text):
    """Cut verbatim special tokens out of the text: list of (is_special, string)."""
    parts = []
    i = start = 0
    while i < len(text):
        hit = next((s for s in SPECIALS if text.startswith(s, i)), None)
        if hit is None:
            i += 1
            continue
        parts.append((False, text[start:i]))
        parts.append((True, hit))
        i += len(hit)
        start = i
    parts.append((False, text[start:]))
    return parts


def tokens_of(text, vocab, specials_as_text=False):
    parts = [(False, text)] if specials_as_text else split_specials(text)
    toks = []
    for special, s in parts:
        if special:
            toks.append(s)
            continue
        for w in basic_words(lower_each_char(s)):
            toks.extend(wordpiece(w, vocab))
    return ["[CLS]"] + toks + ["[SEP]"]


def ids_of(tokens, vocab):
    return [vocab.get(t, vocab["[UNK]"]) for t in tokens]


def decode_input(raw):
    return raw.decode("utf-8", "replace")


# ----------------------------------------------------------------------------- escaping
def escape(raw):
    s = raw.decode("utf-8", "surrogateescape")
    out = []
    for ch in s:
        o = ord(ch)
        if 0xDC80 <= o <= 0xDCFF:  # an undecodable byte
            out.append("\\x%02x" % (o - 0xDC00))
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch != " " and cat(ch)[0] in "CZ":
            out.extend("\\x%02x" % b for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def unescape(s):
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        n = s[i + 1]
        if n == "x":
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += {"\\": b"\\", "t": b"\t", "n": b"\n", "r": b"\r"}[n]
            i += 2
    return bytes(out)


# ----------------------------------------------------------------------------- cases
def cases():
    """(name, mode, raw bytes) covering every rule; mode 1 = special tokens as text."""
    u = lambda s: s.encode("utf-8")  # noqa: E731
    c = [
        ("simple", 0, u("Hello, world!")),
        ("iemocap_like", 0, u("Excuse me. Do you have a pen? [LAUGHTER] I'm so, so sorry!!")),
        ("wordpiece_split", 0, u("unaffable embeddings tokenization")),
        ("accents", 0, u("Café naïve résumé")),
        ("accents_more", 0, u("Ångström façade Über déjà vu ÀÉÎÕÜ àéîõü ñ ç ø ł ß æ œ")),
        ("decomposed_input", 0, u("Cafe\u0301 nai\u0308ve")),
        ("lone_marks", 0, u("\u0301 x \u0301\u0302 a\u0301\u0302\u0303 \u20dd")),
        ("punct_ascii", 0, u("Wait... what?! (hello) [world] {x} <y> \"q\" 'single' `tick`")),
        ("punct_ascii_symbols", 0, u("$100 + 5% = ~x^2 | a_b @home #tag & * / \\ ;:")),
        ("punct_unicode", 0, u("¿Qué? ¡Sí! «guillemets» “curly” ‘quotes’ — em–dash … · ‐ ※ §¶")),
        ("symbols_not_punct", 0, u("½ ² ₂ ∞ ≠ ± × ÷ © ® ™ ° € £ ¥")),
        ("emoji", 0, u("I love it 😀😂❤️👍🏽 🎉")),
        ("emoji_zwj", 0, u("👨‍👩‍👧‍👦 family 🇫🇷 flag")),
        ("cjk", 0, u("中文字符测试")),
        ("cjk_mixed", 0, u("Mixed中文and English 日本語のテキスト カタカナ ひらがな")),
        ("cjk_ext_compat", 0, u("㐀 𠀀 豈 兀 丽 \U0002F800")),
        ("hangul", 0, u("한국어 텍스트")),
        ("numbers", 0, u("123 4,567.89 3.14159 1st 2nd 3rd 10:30pm 2020-05-04 1e10 0x1F")),
        ("numbers_other_scripts", 0, u("٣٤ ४२ ๓ ¹²³")),
        ("word_100_chars", 0, u("a" * 100)),
        ("word_101_chars", 0, u("a" * 101)),
        ("word_150_then_ok", 0, u("x" * 150 + " ok")),
        ("long_real_word", 0, u("supercalifragilisticexpialidocious antidisestablishmentarianism")),
        ("accented_101_after_strip", 0, u("é" * 101)),
        ("accented_100_after_strip", 0, u("e\u0301" * 100)),
        ("long_word_with_punct", 0, u(("a" * 60 + "-") * 3)),
        ("repeated_whitespace", 0, u("  hello \t\t world \n\n  again   ")),
        ("unicode_spaces", 0, u("\u00a0nbsp\u3000ideographic\u2003em\u202fnarrow")),
        ("line_para_separators", 0, u("line\u2028sep\u2029para")),
        ("control_nul", 0, b"he\x00llo"),
        ("control_c0_del", 0, u("a\x01b\x7fc\x1bd")),
        ("control_file_separators", 0, u("\x1c\x1d\x1e\x1f seps")),
        ("format_chars", 0, u("zero\u200bwidth soft\u00adhyphen bom\ufeffx rtl\u200fmark")),
        ("c1_private_unassigned", 0, u("\x85nel private\ue000use tag\U000e0001x un\U0010fffdz")),
        ("tab_cr", 0, u("tab\there\r\nnew")),
        ("empty", 0, b""),
        ("only_spaces", 0, u("   \t ")),
        ("only_dropped", 0, u("\x00\x01\ufffd\u200b")),
        ("literal_replacement_char", 0, u("a\ufffdb")),
        ("invalid_ff", 0, b"ab\xffcd"),
        ("invalid_truncated_2", 0, b"\xc3( x"),
        ("invalid_truncated_3", 0, b"\xe2\x82 y"),
        ("invalid_surrogate", 0, b"\xed\xa0\x80 surrogate"),
        ("invalid_overlong", 0, b"\xc0\xaf over\xe0\x80\xaflong"),
        ("invalid_above_max", 0, b"\xf4\x90\x80\x80 big"),
        ("invalid_stray_continuation", 0, b"\x80\x80cont\xbf"),
        ("invalid_at_end", 0, b"caf\xc3"),
        ("invalid_mixed_valid", 0, b"\xfe\xff caf\xc3\xa9 \xf0\x9f\x98"),
        ("mixed_scripts", 0, u("Привет мир! Γειά σου Κόσμε مرحبا שלום नमस्ते สวัสดี")),
        ("greek_final_sigma", 0, u("ΟΔΟΣ Σίσυφος ΣΑΣ")),
        ("case_specials", 0, u("İstanbul ǅ Ǆ \u212a \u212b \u2126 ﬁ")),
        ("contractions", 0, u("don't can't I'll U.S.A. e-mail co-operate")),
        ("url_like", 0, u("#hashtag @user http://example.com/path?q=1&x=2")),
        ("special_tokens", 0, u("[CLS] hello [SEP] x[SEP]y [MASK] it [PAD][PAD]")),
        ("special_tokens_nested", 0, u("[[UNK]] [CLS [cls] [Sep]")),
        ("special_tokens_as_text", 1, u("[CLS] hello [SEP] x[SEP]y [MASK]")),
        ("as_text_plain", 1, u("Café, naïve? 中文")),
        ("long_text", 0, u("Well, I guess we could try again tomorrow, if you want to. " * 60)),
    ]
    return c


def selftest():
    vocab = {t: i for i, t in enumerate(
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello", ",", "!", "cafe"])}
    assert basic_words(lower_each_char("Hello, WORLD!")) == ["hello", ",", "world", "!"]
    assert basic_words(lower_each_char("Café\u00a0中文")) == ["cafe", "中", "文"]
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("unaffablex", vocab) == ["[UNK]"]
    assert tokens_of("Hello, Café!", vocab) == ["[CLS]", "hello", ",", "cafe", "!", "[SEP]"]
    assert tokens_of("x[SEP]", vocab) == ["[CLS]", "[UNK]", "[SEP]", "[SEP]"]
    for name, mode, raw in cases():
        assert unescape(escape(raw)) == raw, name
    print("selftest ok")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", help="bert-base-uncased vocab.txt")
    ap.add_argument("--out", default="tests/fixtures/tokenizer", help="fixture directory")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        selftest()
        return
    if not args.vocab:
        ap.error("--vocab is required")
    vocab = read_vocab(args.vocab)
    os.makedirs(args.out, exist_ok=True)
    full_rows, basic_rows = [], []
    for name, mode, raw in cases():
        text = decode_input(raw)
        toks = tokens_of(text, vocab, specials_as_text=bool(mode))
        ids = ids_of(toks, vocab)
        full_rows.append("\t".join([name, str(mode), escape(raw), " ".join(map(str, ids)), " ".join(toks)]))
        if mode == 0:
            words = basic_words(lower_each_char(text))
            basic_rows.append("\t".join([name, escape(raw), " ".join(escape(w.encode("utf-8")) for w in words)]))
    header = "# generated by tests/reference/tokenizer_reference.py (python %s, unicodedata %s)\n" % (
        sys.version.split()[0], unicodedata.unidata_version)
    with open(os.path.join(args.out, "cases.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "# name\tmode\ttext\tids\ttokens\n" + "\n".join(full_rows) + "\n")
    with open(os.path.join(args.out, "basic_cases.tsv"), "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "# name\ttext\twords\n" + "\n".join(basic_rows) + "\n")
    print("wrote %d + %d cases to %s" % (len(full_rows), len(basic_rows), args.out))


if __name__ == "__main__":
    main()
