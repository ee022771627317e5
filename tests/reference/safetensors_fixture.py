#!/usr/bin/python3
"""Writes tests/fixtures/io/mixed.safetensors with an independent (stdlib-only) writer
following the HuggingFace layout: F32, F16 and BF16 copies of the same six values,
header NOT padded to 8 bytes (so the C reader must cope with any alignment), metadata
{"format": "pt"}. Regenerate: /usr/bin/python3 tests/reference/safetensors_fixture.py"""
import json
import os
import struct

VALUES = [0.0, 1.0, -2.5, 3.140625, 65504.0, 6.103515625e-05]


def bf16(x):
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    # round to nearest even on the dropped 16 bits
    bits += 0x7FFF + ((bits >> 16) & 1)
    return struct.pack("<H", (bits >> 16) & 0xFFFF)


blobs = {
    "bert.embeddings.word_embeddings.weight": ("F32", b"".join(struct.pack("<f", v) for v in VALUES)),
    "half": ("F16", b"".join(struct.pack("<e", v) for v in VALUES)),
    "brain": ("BF16", b"".join(bf16(v) for v in VALUES)),
}
header = {"__metadata__": {"format": "pt"}}
data = b""
for name, (dt, blob) in blobs.items():
    header[name] = {"dtype": dt, "shape": [2, 3], "data_offsets": [len(data), len(data) + len(blob)]}
    data += blob
hjson = json.dumps(header).encode()
if len(hjson) % 8 == 0:
    hjson += b" "  # deliberately misalign the data section
out = os.path.join(os.path.dirname(__file__), "..", "fixtures", "io", "mixed.safetensors")
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(hjson)) + hjson + data)
print("wrote", out)
