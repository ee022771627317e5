#!/usr/bin/python3
"""Time the pure-Python reference tokenizer (tests/reference/tokenizer_reference.py, the same
algorithm as HuggingFace's slow BertTokenizer) on a sentence file and print the same
checksum as bench_tokenizer, so the two are compared side by side by run_tokenizer.sh.
usage: tokenizer_python.py VOCAB SENTENCES_FILE"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference"))
import tokenizer_reference as ref  # noqa: E402

vocab = ref.read_vocab(sys.argv[1])
with open(sys.argv[2], "rb") as f:
    sents = [l.rstrip(b"\n") for l in f]
t0 = time.perf_counter()
checksum, ntok = 0, 0
for s in sents:
    ids = ref.ids_of(ref.tokens_of(ref.decode_input(s), vocab), vocab)
    for i in ids:
        checksum = (checksum * 1000003 + i) & 0xFFFFFFFFFFFFFFFF
    ntok += len(ids)
dt = time.perf_counter() - t0
print("sentences %d  tokens %d  checksum %016x" % (len(sents), ntok, checksum))
print("Python reference: one pass %.3f ms  (%.2f us/sentence)" % (dt * 1e3, dt * 1e6 / len(sents)))
