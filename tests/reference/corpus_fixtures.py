#!/usr/bin/env python3
"""Fixture trees for the corpus readers, and the manifests they must produce.

This is the INDEPENDENT reference for `emofuse corpus iemocap DIR -o M.csv` and
`emofuse corpus msp-podcast DIR -o M.csv` (with and without --all-labels). Stdlib only
(CI has nothing but python3). Deterministic: the same bytes on every run.

    python3 tests/reference/corpus_fixtures.py OUTDIR [--self-check]

Every expected file is derived from the ground-truth PLAN below (utterance ids, labels,
raw transcription text next to the hand-written cleaned text), never by re-parsing the
files this script writes. --self-check afterwards re-parses the written trees with the
regexes of shared/docs/corpora.md and compares, checks the CSV rules, the WAVs and that
each bad tree carries its defect at the stated line.

Written under OUTDIR (the test writes the readers' manifests into OUTDIR itself, so every
`audio` path is relative to OUTDIR):
  iemocap/IEMOCAP_full_release/IEMOCAP_full_release/Session1..5/...   (tarball nesting;
      the reader gets OUTDIR/iemocap and must find the sessions)
  iemocap.expected.csv  iemocap.all.expected.csv  iemocap.expected.counts
  msp/Labels/labels_consensus.csv  msp/Audios/*.wav  msp/Transcripts/*.txt
  msp.expected.csv  msp.all.expected.csv
  msp1/Labels/labels_concensus.csv (v1.x spelling, Validation split, no Transcripts/)
  msp1.expected.csv
  bad/<case>/ (a small tree with exactly one defect) and bad/<case>.expect (one line, LF:
      a fixed substring the reader's one-line error message must contain)
  .corpus_fixtures (marker: a rerun into the same OUTDIR replaces only what it wrote)

Contract, IEMOCAP manifest:
  id,audio,speaker,emotion,transcript,session,dialog,script ; rows sorted by id (bytes).
  audio    = iemocap/IEMOCAP_full_release/IEMOCAP_full_release/SessionN/sentences/wav/<dialog>/<id>.wav
  speaker  = Ses{SS}_{F|M}: session + gender letter of the id's FINAL group
  emotion  = default: ang->angry hap,exc->happy sad->sad neu->neutral, others dropped;
             --all-labels: the raw 3-letter label, every header line kept
  transcript = text after "]: " of the transcriptions line, tags ("[" [A-Za-z_]+ "]")
             removed, whitespace runs -> one space, trimmed; empty when there is no line
  session  = 1..5 ; dialog = id minus its final _XNNN ; script = "" for impro dialogs,
             else the script number without leading zero (Ses01M_script03_2 -> 3)
  iemocap.expected.counts: "angry N" "happy N" "sad N" "neutral N", then
             "dropped <raw> N" per dropped raw label present, sorted by label.
Contract, MSP-PODCAST manifest:
  id,audio,speaker,emotion,transcript,split,gender ; rows sorted by id (bytes).
  id = FileName minus ".wav"; audio = msp/Audios/<FileName> (msp1/... for v1.x);
  speaker = SpkrID as is ("Unknown" stays); emotion: A H S N -> angry happy sad neutral,
  U F D C O X dropped (--all-labels: the raw letter, every row); split = Split_Set as is;
  gender as is; transcript = Transcripts/<id>.txt, UTF-8 BOM stripped, whitespace runs
  (newlines, CR, tabs included) -> one space, trimmed; empty when the file is missing.
CSV (both): UTF-8, LF, header row, final newline; a field is quoted iff it contains a
  comma, a double quote, CR or LF, inner quotes doubled.
Bad cases (default mode; line numbers are 1-based physical lines; see write_bad()):
  iemocap-empty    no Session folder, just notes.txt      -> "iemocap-empty"
  iemocap-noaudio  a header line's sentence wav missing   -> "<dialog>.txt:<its line>"
                   (Session1..5 directly in the folder, no IEMOCAP_full_release level)
  iemocap-dup      an id in two header lines of one file  -> "<dialog>.txt:<second line>"
                   (single nesting: IEMOCAP_full_release/Session1..5)
  msp-nocolumns    labels_consensus.csv lacks EmoClass    -> "labels_consensus.csv"
  msp-noaudio      a row's audio missing                  -> "labels_consensus.csv:<line>"
  msp-dup          a FileName twice                       -> "labels_consensus.csv:<second line>"
  The IEMOCAP line numbers are >= 10 in files < 100 lines and the MSP label files have
  < 10 lines, so no wrong line number can contain the expected one as a substring.
Traps in the good trees (a reader must not be fooled): AppleDouble "._*" files holding
  text that would parse (a fake header line, a wrong transcript for a real id); Categorical/
  Attribute/ Self-evaluation/ files naming fake ids; annotator comments with brackets;
  a varying number of annotator lines; transcription lines out of order, not matching, or
  for ids without an EmoEvaluation entry; an extra sentence wav; "._Session1"; README and
  Documentation/ beside the sessions; labels_detailed.csv beside labels_consensus.csv;
  v1.x labels.txt beside labels_concensus.csv, no final newline, no Transcripts/ at all.
"""
import csv
import io
import math
import os
import re
import shutil
import struct
import sys
import wave

SR = 16000
MARKER = ".corpus_fixtures"
TOP_ENTRIES = ["iemocap", "iemocap.expected.csv", "iemocap.all.expected.csv",
               "iemocap.expected.counts", "msp", "msp.expected.csv", "msp.all.expected.csv",
               "msp1", "msp1.expected.csv", "bad", MARKER]

# --------------------------------------------------------------------------- helpers


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


_wav_counter = [0]


def write_wav(path):
    """16 kHz mono 16-bit sine, 0.1/0.2/0.3 s and 200..550 Hz cycling (deterministic)."""
    k = _wav_counter[0]
    _wav_counter[0] += 1
    n = SR * (1 + k % 3) // 10
    freq = 200.0 + 50.0 * (k % 8)
    frames = b"".join(struct.pack("<h", int(round(8000.0 * math.sin(2 * math.pi * freq * i / SR))))
                      for i in range(n))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(frames)


def appledouble(trap_text=""):
    """macOS AppleDouble "._*" resource file: magic 00 05 16 07, version 2, binary junk,
    invalid UTF-8 and (as a trap for readers that do not skip "._*") some text that would
    parse if read."""
    head = b"\x00\x05\x16\x07\x00\x02\x00\x00" + b"Mac OS X        " + b"\x00\x02"
    head += b"\x00\x00\x00\x09\x00\x00\x00\x32\x00\x00\x0e\xb0"
    head += b"\x00\x00\x00\x02\x00\x00\x0e\xe2\x00\x00\x01\x1e"
    body = b"\x00" * 18 + b"ATTR\x00\x00\x00\x00\xff\xfe\x80\x81" + b"com.apple.quarantine\x00"
    body += b"0083;5f3a1b2c;Safari;\x00\xc3\x28\xa0\xa1"
    return head + body + b"\n" + trap_text.encode("utf-8") + b"\n" + b"\x00" * 32


def csv_field(s):
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def csv_text(header, rows):
    return "".join(",".join(csv_field(str(v)) for v in r) + "\n" for r in [header] + rows)


def plain(s):
    """True when a raw text needs no cleaning (so its cleaned form may default to it)."""
    return "[" not in s and not re.search(r"\s\s|[\t\r\n\ufeff]", s) and s == s.strip()


# --------------------------------------------------------------------------- IEMOCAP plan


class Utt:
    def __init__(self, uid, label, raw=None, clean=None):
        """raw: the text of its transcriptions line (None: no line at all); clean: what the
        manifest must hold, written by hand (defaults to raw only for plain text)."""
        self.uid, self.label, self.raw = uid, label, raw
        if clean is None:
            if raw is not None:
                assert plain(raw), "give the cleaned text explicitly for %r" % raw
            clean = raw or ""
        self.clean = clean


def D(dialog, utts, noise=(), extra_wavs=()):
    """A dialogue: its utterances in FILE (time) order, noise lines for its transcriptions
    file as (position, line), extra sentence wavs with no EmoEvaluation entry."""
    return {"dialog": dialog, "utts": utts, "noise": list(noise), "extra_wavs": list(extra_wavs)}


IEMOCAP_PLAN = {
    1: [
        D("Ses01F_impro01", [
            Utt("Ses01F_impro01_F000", "neu", "Excuse me."),
            Utt("Ses01F_impro01_M000", "neu", "Do you have your forms?"),
            Utt("Ses01F_impro01_F001", "fru", "Is there a problem? [BREATHING]", "Is there a problem?"),
            Utt("Ses01F_impro01_M001", "xxx", "[LAUGHTER] Who told you to get in this line?",
                "Who told you to get in this line?"),
            Utt("Ses01F_impro01_F002", "ang", 'I [LAUGHTER]  know, "the" rules.', 'I know, "the" rules.'),
            Utt("Ses01F_impro01_M003", "hap", "Okay, café then."),  # male speaker, F-led dialogue
            Utt("Ses01F_impro01_F010", "exc", "Yeah[LAUGHTER]. Great!", "Yeah. Great!"),
            Utt("Ses01F_impro01_F011", "sad"),  # no transcriptions line -> empty transcript
        ], noise=[
            (0, "M: [BREATHING]"),
            (3, "this line has no brackets at all"),
            (5, "Ses01F_impro01_FXX0 [030.0000-031.0000]: [GARBAGE]"),  # no EmoEvaluation entry
            (99, "Ses01F_impro01_F099 [060.0000-061.5000]: Not in EmoEvaluation."),
        ], extra_wavs=["Ses01F_impro01_F099"]),
        D("Ses01M_impro05a", [
            Utt("Ses01M_impro05a_F000", "sur", "Really?"),
            Utt("Ses01M_impro05a_M000", "ang", "Yes,\t really.", "Yes, really."),
            Utt("Ses01M_impro05a_M001", "neu", 'He said "no".'),
        ]),
        D("Ses01M_impro05b", [
            Utt("Ses01M_impro05b_M000", "exc", "[LAUGHTER][BREATHING] We won!", "We won!"),
            Utt("Ses01M_impro05b_F000", "hap", "Room [101], please.", "Room [101], please."),  # not a tag
            Utt("Ses01M_impro05b_F001", "dis", "Ugh."),
        ]),
        D("Ses01F_script01_1", [
            Utt("Ses01F_script01_1_F000", "neu", "Hello."),
            Utt("Ses01F_script01_1_M000", "sad", "I missed you, Anna."),
            Utt("Ses01F_script01_1_M001", "oth", "[GARBAGE]", ""),  # only a tag -> empty
        ]),
        D("Ses01M_script03_2", [
            Utt("Ses01M_script03_2_M000", "ang", "Get out!"),
            Utt("Ses01M_script03_2_F000", "fea", "Please don't."),
        ]),
    ],
    2: [
        D("Ses02F_script02_1", [
            Utt("Ses02F_script02_1_F000", "neu", "Where are we going?"),
            Utt("Ses02F_script02_1_M000", "hap", "To the beach."),
            Utt("Ses02F_script02_1_F001", "exc", "Oh, how lovely!"),
            Utt("Ses02F_script02_1_M001", "xxx", "Mm-hmm."),
        ]),
        D("Ses02M_impro02", [
            Utt("Ses02M_impro02_M000", "sad", "She left this morning."),
            Utt("Ses02M_impro02_F000", "sad", "I'm so sorry."),
            Utt("Ses02M_impro02_M001", "fru", "It's fine.   It's   fine.", "It's fine. It's fine."),
            Utt("Ses02M_impro02_F002", "neu", "  Leading and trailing spaces.  ",
                "Leading and trailing spaces."),
        ]),
        D("Ses02F_impro06", [
            Utt("Ses02F_impro06_F000", "ang", "Why would you do that?"),
            Utt("Ses02F_impro06_M000", "neu", "Do what?"),
            Utt("Ses02F_impro06_F001", "ang", "You know what [laughter] you did.", "You know what you did."),
        ]),
    ],
    3: [
        D("Ses03M_impro03", [
            Utt("Ses03M_impro03_M000", "hap", "I got the job!"),
            Utt("Ses03M_impro03_F000", "exc", "No way!"),
            Utt("Ses03M_impro03_M001", "exc", "Starting Monday, at nine."),
            Utt("Ses03M_impro03_F001", "neu", "Tell me everything."),
            Utt("Ses03M_impro03_M014", "sur", "Wait, what?"),
        ]),
        D("Ses03F_script01_3", [
            Utt("Ses03F_script01_3_F000", "neu", "It's cold tonight."),
            Utt("Ses03F_script01_3_M000", "neu", "Take my coat."),
            Utt("Ses03F_script01_3_F001", "sad"),  # no transcriptions line
            Utt("Ses03F_script01_3_M001", "xxx", "[BREATHING]", ""),
        ]),
    ],
    4: [
        D("Ses04F_impro07", [
            Utt("Ses04F_impro07_F000", "hap", "Guess who's back."),
            Utt("Ses04F_impro07_M000", "hap", 'Is that "the" Dave?'),
            Utt("Ses04F_impro07_F001", "exc", "Naïve, but fun."),
            Utt("Ses04F_impro07_M001", "neu", "Sure."),
        ]),
        D("Ses04M_script02_2", [
            Utt("Ses04M_script02_2_M000", "ang", "That's enough!"),
            Utt("Ses04M_script02_2_F000", "fru", "You always say that."),
            Utt("Ses04M_script02_2_M001", "sad", "Because it's true."),
            Utt("Ses04M_script02_2_F001", "ang", "[NOISE_BURST] Fine.", "Fine."),
        ]),
    ],
    5: [
        D("Ses05M_impro04", [
            Utt("Ses05M_impro04_M000", "neu", "Can we talk?"),
            Utt("Ses05M_impro04_F000", "neu", "About what?"),
            Utt("Ses05M_impro04_M001", "sad", "About us."),
            Utt("Ses05M_impro04_F001", "ang", "Not again, Mark."),
        ]),
        D("Ses05F_script03_1", [
            Utt("Ses05F_script03_1_F000", "hap", "What a day!"),
            Utt("Ses05F_script03_1_M000", "exc", "The best."),
            Utt("Ses05F_script03_1_F001", "sad", "Goodbye, then."),
            Utt("Ses05F_script03_1_M001", "neu", "Bye."),
        ]),
        D("Ses05M_impro08", [  # every label dropped in default mode
            Utt("Ses05M_impro08_M000", "xxx", "Hmm."),
            Utt("Ses05M_impro08_F000", "fru", "Whatever."),
        ]),
    ],
}

IEMOCAP_MAP = {"ang": "angry", "hap": "happy", "exc": "happy", "sad": "sad", "neu": "neutral"}
IEMOCAP_LABELS = ["neu", "hap", "exc", "sad", "ang", "xxx", "fru", "sur", "fea", "dis", "oth"]
CAT_NAME = {"neu": "Neutral state", "hap": "Happiness", "exc": "Excited", "sad": "Sadness",
            "ang": "Anger", "fru": "Frustration", "sur": "Surprise", "fea": "Fear",
            "dis": "Disgust", "oth": "Other", "xxx": "Frustration; Anger"}
EMO_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]"
NESTED = os.path.join("IEMOCAP_full_release", "IEMOCAP_full_release")


def utt_times(k):
    start = 6.2901 + 3.1177 * k
    return start, start + 1.9456 + 0.25 * (k % 3)


def write_iemocap_dialog(sess_dir, d, missing_wavs=()):
    """Writes one dialogue; returns {uid: [1-based header line numbers in EmoEvaluation]}."""
    dialog = d["dialog"]
    first_pos = {}
    for u in d["utts"]:
        first_pos.setdefault(u.uid, len(first_pos))
    # EmoEvaluation/<dialog>.txt
    lines = [EMO_HEADER, ""]
    header_lines = {}
    for k, u in enumerate(d["utts"]):
        p = first_pos[u.uid]
        s, e = utt_times(p)
        v = 2.0 + 0.5 * (p % 4)
        a = 2.5 + 0.5 * (p % 3)
        lines.append("[%.4f - %.4f]\t%s\t%s\t[%.4f, %.4f, %.4f]" % (s, e, u.uid, u.label, v, a, 3.0))
        header_lines.setdefault(u.uid, []).append(len(lines))
        cat = CAT_NAME[u.label] + ";"
        lines.append("C-E2:\t%s\t()" % cat)
        lines.append("C-E3:\t%s\t()" % ("Neutral state;" if p % 2 else cat))
        if p % 3 != 2:  # the number of annotator lines varies
            lines.append("C-F1:\t%s\t(sounds [tired], a bit)" % cat)
        lines.append("A-E3:\tval %d; act %d; dom  %d;\t()" % (1 + p % 5, 2 + p % 3, 3))
        if p % 2 == 0:
            lines.append("A-F1:\tval 3; act 2; dom  2;\t(mildly aggravated but staying polite, attitude)")
        lines.append("")
    emo_dir = os.path.join(sess_dir, "dialog", "EmoEvaluation")
    write_text(os.path.join(emo_dir, dialog + ".txt"), "\n".join(lines) + "\n")
    write_bytes(os.path.join(emo_dir, "._" + dialog + ".txt"), appledouble(
        "[1.0000 - 2.0000]\t%s_F999\tneu\t[2.0000, 2.0000, 2.0000]" % dialog))
    # subfolders that must be ignored (they name utterances too, and fake ones)
    uniq = [u for u in d["utts"] if first_pos[u.uid] == d["utts"].index(u)]
    write_text(os.path.join(emo_dir, "Categorical", dialog + "_e2_cat.txt"),
               "".join("%s :%s;\n" % (u.uid, CAT_NAME[u.label]) for u in uniq)
               + "%s_F777 :Anger;\n" % dialog)
    write_text(os.path.join(emo_dir, "Attribute", dialog + "_e3_atr.txt"),
               "".join("%s :act 4; :val 3; :dom 2;\n" % u.uid for u in uniq)
               + "%s_M777 :act 1; :val 1; :dom 1;\n" % dialog)
    write_text(os.path.join(emo_dir, "Self-evaluation", dialog + "_self.txt"),
               EMO_HEADER + "\n\n[1.0000 - 2.5000]\t%s_M888\tang\t[1.0000, 4.0000, 4.0000]\n" % dialog)
    # transcriptions/<dialog>.txt, time order, noise lines inserted
    tl = []
    for u in uniq:
        if u.raw is not None:
            s, e = utt_times(first_pos[u.uid])
            tl.append("%s [%08.4f-%08.4f]: %s" % (u.uid, s, e, u.raw))
    for pos, line in sorted(d["noise"], key=lambda x: -x[0]):
        tl.insert(min(pos, len(tl)), line)
    tr_dir = os.path.join(sess_dir, "dialog", "transcriptions")
    write_text(os.path.join(tr_dir, dialog + ".txt"), "\n".join(tl) + "\n")
    write_bytes(os.path.join(tr_dir, "._" + dialog + ".txt"), appledouble(
        "%s [000.0000-001.0000]: WRONG TEXT FROM APPLEDOUBLE" % d["utts"][0].uid))
    # whole-dialogue wav, sentence wavs (+ AppleDouble twins), forced alignment junk
    write_wav(os.path.join(sess_dir, "dialog", "wav", dialog + ".wav"))
    wav_dir = os.path.join(sess_dir, "sentences", "wav", dialog)
    for uid in [u.uid for u in uniq] + d["extra_wavs"]:
        if uid in missing_wavs:
            continue
        write_wav(os.path.join(wav_dir, uid + ".wav"))
        write_bytes(os.path.join(wav_dir, "._" + uid + ".wav"), appledouble())
    write_text(os.path.join(sess_dir, "sentences", "ForcedAlignment", dialog, uniq[0].uid + ".wdseg"),
               " SFrm  EFrm    SegAScr Word\n    0    30    -123456 <s>\n")
    return header_lines


def write_iemocap_tree(root, plan, missing_wavs=()):
    """root/Session<N>/...; returns {uid: (session, dialog_dict, header_lines)}."""
    info = {}
    for sess in sorted(plan):
        sess_dir = os.path.join(root, "Session%d" % sess)
        for d in plan[sess]:
            hl = write_iemocap_dialog(sess_dir, d, missing_wavs)
            for uid, lns in hl.items():
                info[uid] = (sess, d["dialog"], lns)
    return info


def iemocap_rows(plan, audio_prefix, all_labels):
    rows = []
    for sess in sorted(plan):
        for d in plan[sess]:
            dialog = d["dialog"]
            m = re.search(r"_script(\d+)", dialog)
            script = str(int(m.group(1))) if m else ""
            for u in d["utts"]:
                assert u.uid.startswith(dialog + "_") and re.fullmatch(r"[FM]\d{3}", u.uid[len(dialog) + 1:])
                assert u.uid.startswith("Ses%02d" % sess)
                if all_labels:
                    emo = u.label
                elif u.label in IEMOCAP_MAP:
                    emo = IEMOCAP_MAP[u.label]
                else:
                    continue
                gender = u.uid[len(dialog) + 1]
                audio = "/".join([audio_prefix, "Session%d" % sess, "sentences", "wav", dialog,
                                  u.uid + ".wav"])
                rows.append([u.uid, audio, "Ses%02d_%s" % (sess, gender), emo, u.clean,
                             str(sess), dialog, script])
    rows.sort(key=lambda r: r[0].encode("utf-8"))
    return rows


IEMOCAP_HEADER = ["id", "audio", "speaker", "emotion", "transcript", "session", "dialog", "script"]

# --------------------------------------------------------------------------- MSP plan

# (FileName, EmoClass, EmoAct, EmoVal, EmoDom, SpkrID, Gender, Split_Set, transcript)
# transcript: None = no file; str = plain text (written with a final LF, cleaned = itself);
# (bytes, cleaned) = exact file content and the cleaned text written by hand.
MSP_PLAN = [
    ("MSP-PODCAST_0456_0010.wav", "H", "4.2", "5.6", "4.0", "1021", "Female", "Test3",
     "Café au lait, s'il vous plaît."),
    ("MSP-PODCAST_0001_0009.wav", "N", "3.777778", "3.555556", "3.777778", "39", "Male", "Test1",
     (b"  Well,   I think\nthat's   fine.  \n", "Well, I think that's fine.")),
    ("MSP-PODCAST_0001_0008.wav", "N", "2.2", "4.0", "2.6", "30", "Male", "Test1",
     "Thanks for having me."),
    ("MSP-PODCAST_0002_0033.wav", "H", "5.0", "6.2", "4.4", "127", "Female", "Train",
     ("\ufeffThat was hilarious.\n".encode("utf-8"), "That was hilarious.")),
    ("MSP-PODCAST_0002_0034.wav", "U", "4.8", "4.0", "3.6", "127", "Female", "Train", "No way, really?"),
    ("MSP-PODCAST_0003_0001.wav", "A", "5.6", "2.0", "5.2", "Unknown", "Male", "Development",
     'He said "never" again.'),
    ("MSP-PODCAST_0003_0002.wav", "S", "2.4", "2.2", "3.0", "Unknown", "Female", "Development", None),
    ("MSP-PODCAST_0010_0101.wav", "X", "3.8", "4.0", "4.2", "512", "Female", "Test2", "I don't know."),
    ("MSP-PODCAST_0010_0102.wav", "F", "4.4", "2.8", "2.6", "512", "Female", "Test2", "That's scary."),
    ("MSP-PODCAST_0100_0005.wav", "D", "4.0", "2.4", "4.6", "88", "Male", "Train", "Gross."),
    ("MSP-PODCAST_0100_0006.wav", "C", "3.4", "3.0", "5.0", "88", "Male", "Train", "Whatever you say."),
    ("MSP-PODCAST_0100_0007.wav", "O", "3.0", "3.6", "3.8", "88", "Male", "Train", None),
    ("MSP-PODCAST_0456_0011.wav", "S", "2.0", "2.6", "2.8", "1021", "Female", "Test3",
     (b"I miss them.\r\nEvery day.\r\n", "I miss them. Every day.")),
    ("MSP-PODCAST_0456_0012.wav", "A", "6.0", "1.8", "5.8", "1021", "Female", "Test3",
     (b"Stop\tit!\n", "Stop it!")),
    ("MSP-PODCAST_1188_0020_0003.wav", "N", "3.6", "4.0", "4.0", "Unknown", "Male", "Train", "Moving on."),
    ("MSP-PODCAST_1188_0020.wav", "H", "4.6", "5.8", "4.2", "2001", "Male", "Train", "Great news."),
    ("MSP-PODCAST_0001_0010.wav", "A", "5.2", "2.6", "5.0", "30", "Male", "Test1", (b"", "")),
    ("MSP-PODCAST_0002_0035.wav", "N", "4.0", "4.0", "4.0", "127", "Female", "Development",
     (b"   \n\n", "")),
    ("MSP-PODCAST_0777_0001.wav", "S", "2.8", "2.4", "3.2", "Unknown", "Female", "Test2",
     'So, "yes", I guess.'),
    ("MSP-PODCAST_0777_0002.wav", "H", "4.4", "5.4", "4.0", "Unknown", "Female", "Test1", None),
]
MSP_EXTRA_AUDIO = "MSP-PODCAST_9999_0001"  # audio + transcript without a label row (ignored)
MSP_MAP = {"A": "angry", "H": "happy", "S": "sad", "N": "neutral"}
MSP_CLASSES = ["A", "S", "H", "U", "F", "D", "C", "N", "O", "X"]
MSP_LABEL_HEADER = ["FileName", "EmoClass", "EmoAct", "EmoVal", "EmoDom", "SpkrID", "Gender", "Split_Set"]
MSP_HEADER = ["id", "audio", "speaker", "emotion", "transcript", "split", "gender"]
V1_SPLIT = {"Development": "Validation", "Test3": "Test2"}  # v1.x had no Development nor Test3


def transcript_file(t):
    """(bytes to write or None, cleaned text)."""
    if t is None:
        return None, ""
    if isinstance(t, str):
        assert plain(t)
        return (t + "\n").encode("utf-8"), t
    return t


def write_msp_tree(root, plan, labels_name="labels_consensus.csv", transcripts=True,
                   final_newline=True, missing_audio=(), header=MSP_LABEL_HEADER, extras=True):
    rows = [list(r[:8]) for r in plan]
    cols = [MSP_LABEL_HEADER.index(h) for h in header]
    text = "\n".join(",".join(r[c] for c in cols) for r in [MSP_LABEL_HEADER] + rows)
    write_text(os.path.join(root, "Labels", labels_name), text + ("\n" if final_newline else ""))
    for r in plan:
        if r[0] not in missing_audio:
            write_wav(os.path.join(root, "Audios", r[0]))
        data, _ = transcript_file(r[8])
        if transcripts and data is not None:
            write_bytes(os.path.join(root, "Transcripts", r[0][:-4] + ".txt"), data)
    if extras:
        write_wav(os.path.join(root, "Audios", MSP_EXTRA_AUDIO + ".wav"))
        if transcripts:
            write_text(os.path.join(root, "Transcripts", MSP_EXTRA_AUDIO + ".txt"), "Not labelled.\n")


def msp_rows(plan, audio_prefix, all_labels, transcripts=True):
    out = []
    for r in plan:
        fn, cls, spk, gender, split = r[0], r[1], r[5], r[6], r[7]
        assert fn.endswith(".wav")
        if all_labels:
            emo = cls
        elif cls in MSP_MAP:
            emo = MSP_MAP[cls]
        else:
            continue
        text = transcript_file(r[8])[1] if transcripts else ""
        out.append([fn[:-4], audio_prefix + "/Audios/" + fn, spk, emo, text, split, gender])
    out.sort(key=lambda r: r[0].encode("utf-8"))
    return out


def v1_plan(plan):
    return [r[:7] + (V1_SPLIT.get(r[7], r[7]),) + r[8:] for r in plan]


# --------------------------------------------------------------------------- bad cases


def small_iemocap_plan():
    return {
        1: [D("Ses01F_impro01", [Utt("Ses01F_impro01_F000", "neu", "Excuse me."),
                                 Utt("Ses01F_impro01_M000", "hap", "Hi."),
                                 Utt("Ses01F_impro01_F001", "xxx", "Hmm.")])],
        2: [D("Ses02M_impro02", [Utt("Ses02M_impro02_M000", "sad", "She left."),
                                 Utt("Ses02M_impro02_F000", "sad", "I'm sorry."),
                                 Utt("Ses02M_impro02_M001", "ang", "Don't be."),
                                 Utt("Ses02M_impro02_F001", "fru", "Fine.")])],
        3: [D("Ses03F_script01_1", [Utt("Ses03F_script01_1_F000", "neu", "It's cold."),
                                    Utt("Ses03F_script01_1_M000", "neu", "Take my coat."),
                                    Utt("Ses03F_script01_1_F001", "ang", "No, thanks."),
                                    Utt("Ses03F_script01_1_M001", "exc", "Suit yourself!")])],
        4: [D("Ses04M_impro07", [Utt("Ses04M_impro07_M000", "hap", "Guess who."),
                                 Utt("Ses04M_impro07_F000", "exc", "You!")])],
        5: [D("Ses05F_script03_1", [Utt("Ses05F_script03_1_F000", "neu", "Bye."),
                                    Utt("Ses05F_script03_1_M000", "sad", "Bye, then.")])],
    }


def small_msp_plan():
    return [
        ("MSP-PODCAST_0001_0008.wav", "N", "2.2", "4.0", "2.6", "30", "Male", "Test1", "Hello."),
        ("MSP-PODCAST_0001_0009.wav", "A", "5.0", "2.0", "5.0", "30", "Male", "Test1", "Go away."),
        ("MSP-PODCAST_0002_0001.wav", "X", "4.0", "4.0", "4.0", "Unknown", "Female", "Train", None),
        ("MSP-PODCAST_0002_0002.wav", "S", "2.0", "2.0", "3.0", "Unknown", "Female", "Train", "Sigh."),
        ("MSP-PODCAST_0003_0004.wav", "H", "5.0", "6.0", "4.0", "7", "Female", "Development", "Yay!"),
        ("MSP-PODCAST_0003_0005.wav", "N", "3.0", "4.0", "4.0", "7", "Female", "Test2", "Okay."),
        ("MSP-PODCAST_0004_0001.wav", "H", "4.4", "5.2", "4.0", "9", "Male", "Test3", "Nice."),
    ]


def write_bad(out):
    bad = os.path.join(out, "bad")
    cases = {}

    # 1. no Session folder anywhere, just an unrelated file
    write_text(os.path.join(bad, "iemocap-empty", "notes.txt"), "Not an IEMOCAP release.\n")
    cases["iemocap-empty"] = "iemocap-empty"

    # 2. a header line whose sentence wav is missing (Sessions directly in the folder)
    victim = "Ses03F_script01_1_F001"
    info = write_iemocap_tree(os.path.join(bad, "iemocap-noaudio"), small_iemocap_plan(), {victim})
    sess, dialog, lns = info[victim]
    assert len(lns) == 1 and lns[0] >= 10  # >= 10: no wrong 1-digit line can contain it
    cases["iemocap-noaudio"] = "%s.txt:%d" % (dialog, lns[0])

    # 3. the same id in two header lines of one file (wav present); single nesting
    plan = small_iemocap_plan()
    d = plan[2][0]
    d["utts"].append(d["utts"][1])  # Ses02M_impro02_F000 again, identical header line
    info = write_iemocap_tree(os.path.join(bad, "iemocap-dup", "IEMOCAP_full_release"), plan)
    sess, dialog, lns = info["Ses02M_impro02_F000"]
    assert len(lns) == 2 and lns[1] >= 10
    cases["iemocap-dup"] = "%s.txt:%d" % (dialog, lns[1])

    # 4. labels_consensus.csv without the EmoClass column
    write_msp_tree(os.path.join(bad, "msp-nocolumns"), small_msp_plan()[:5],
                   header=[h for h in MSP_LABEL_HEADER if h != "EmoClass"], extras=False)
    cases["msp-nocolumns"] = "labels_consensus.csv"

    # 5. a (kept, H) label row whose audio is missing: data row 5 = physical line 6 of 8
    plan = small_msp_plan()
    assert len(plan) + 1 <= 9  # a 1-digit line number cannot be a prefix of another one
    victim = plan[4][0]
    write_msp_tree(os.path.join(bad, "msp-noaudio"), plan, missing_audio={victim}, extras=False)
    cases["msp-noaudio"] = "labels_consensus.csv:%d" % (1 + 1 + 4)

    # 6. a FileName twice: row 2 copied after row 6 -> second at physical line 8 of 8
    plan = small_msp_plan()[:6]
    plan.append(plan[1])
    write_msp_tree(os.path.join(bad, "msp-dup"), plan, extras=False)
    cases["msp-dup"] = "labels_consensus.csv:%d" % (1 + len(plan))

    for case, sub in cases.items():
        write_text(os.path.join(bad, case + ".expect"), sub + "\n")
    return cases


# --------------------------------------------------------------------------- main


def prepare_outdir(out):
    os.makedirs(out, exist_ok=True)
    present = [e for e in TOP_ENTRIES if os.path.lexists(os.path.join(out, e))]
    if present and not os.path.exists(os.path.join(out, MARKER)):
        sys.exit("corpus_fixtures.py: %s already holds %s and was not written by this script"
                 % (out, ", ".join(present)))
    for e in present:
        p = os.path.join(out, e)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p)
        else:
            os.remove(p)
    write_text(os.path.join(out, MARKER), "written by tests/reference/corpus_fixtures.py\n")


def generate(out):
    prepare_outdir(out)
    # IEMOCAP: tarball nesting, AppleDouble twins of the folders, an unrelated README
    iroot = os.path.join(out, "iemocap")
    inner = os.path.join(iroot, NESTED)
    write_iemocap_tree(inner, IEMOCAP_PLAN)
    write_text(os.path.join(inner, "README.txt"), "IEMOCAP release (fixture). Session1 .. Session5.\n")
    write_text(os.path.join(inner, "Documentation", "Session_list.txt"), "Session1\nSession2\n")
    write_bytes(os.path.join(inner, "._Session1"), appledouble())
    write_bytes(os.path.join(iroot, "IEMOCAP_full_release", "._IEMOCAP_full_release"), appledouble())
    prefix = "iemocap/" + NESTED.replace(os.sep, "/")
    default = iemocap_rows(IEMOCAP_PLAN, prefix, False)
    every = iemocap_rows(IEMOCAP_PLAN, prefix, True)
    write_text(os.path.join(out, "iemocap.expected.csv"), csv_text(IEMOCAP_HEADER, default))
    write_text(os.path.join(out, "iemocap.all.expected.csv"), csv_text(IEMOCAP_HEADER, every))
    kept = {e: 0 for e in ["angry", "happy", "sad", "neutral"]}
    dropped = {}
    for sess in IEMOCAP_PLAN:
        for d in IEMOCAP_PLAN[sess]:
            for u in d["utts"]:
                if u.label in IEMOCAP_MAP:
                    kept[IEMOCAP_MAP[u.label]] += 1
                else:
                    dropped[u.label] = dropped.get(u.label, 0) + 1
    counts = "".join("%s %d\n" % kv for kv in kept.items())
    counts += "".join("dropped %s %d\n" % (k, dropped[k]) for k in sorted(dropped))
    write_text(os.path.join(out, "iemocap.expected.counts"), counts)

    # MSP-PODCAST v2.x
    mroot = os.path.join(out, "msp")
    write_msp_tree(mroot, MSP_PLAN)
    write_text(os.path.join(mroot, "Labels", "labels_detailed.csv"),
               "FileName,WorkerID,EmoClass,EmoAct,EmoVal,EmoDom\n"
               + "".join("%s,WORKER%07d,Neutral,3.0,4.0,3.0\n" % (r[0], i) for i, r in enumerate(MSP_PLAN)))
    write_text(os.path.join(out, "msp.expected.csv"),
               csv_text(MSP_HEADER, msp_rows(MSP_PLAN, "msp", False)))
    write_text(os.path.join(out, "msp.all.expected.csv"),
               csv_text(MSP_HEADER, msp_rows(MSP_PLAN, "msp", True)))

    # MSP-PODCAST v1.x: misspelled label file, Validation, no Transcripts/, no final LF
    p1 = v1_plan(MSP_PLAN)
    m1 = os.path.join(out, "msp1")
    write_msp_tree(m1, p1, labels_name="labels_concensus.csv", transcripts=False, final_newline=False)
    write_text(os.path.join(m1, "Labels", "labels.txt"),
               "".join("%s; %s; A:%s; V:%s; D:%s;\nWORKER0000001; Neutral; Neutral; A:3.0; V:4.0; D:3.0;\n\n"
                       % r[:5] for r in p1))
    write_text(os.path.join(out, "msp1.expected.csv"),
               csv_text(MSP_HEADER, msp_rows(p1, "msp1", False, transcripts=False)))
    return write_bad(out)


# --------------------------------------------------------------------------- self-check
# Re-parses what was written, the way shared/docs/corpora.md describes, and compares.

EMO_RE = re.compile(r"^\[(\d+\.\d+)\s*-\s*(\d+\.\d+)\]\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]")
TR_RE = re.compile(r"^(\S+)\s+\[([\d.\-]+)\]:\s*(.*)$")
TAG_RE = re.compile(r"\[[A-Za-z_]+\]")


def norm_ws(s):
    return re.sub(r"\s+", " ", s).strip()


def parse_iemocap(root, out, all_labels):
    sessions = []
    for dp, dns, _ in os.walk(root):
        dns[:] = sorted(n for n in dns if not n.startswith("._"))
        sessions += [os.path.join(dp, n) for n in dns if re.fullmatch(r"Session[1-5]", n)]
    assert len(sessions) == 5, sessions
    rows, seen = [], set()
    for sd in sessions:
        emo_dir = os.path.join(sd, "dialog", "EmoEvaluation")
        for fn in sorted(os.listdir(emo_dir)):
            if (fn.startswith("._") or not fn.endswith(".txt")
                    or not os.path.isfile(os.path.join(emo_dir, fn))):
                continue
            dialog = fn[:-4]
            texts = {}
            with open(os.path.join(sd, "dialog", "transcriptions", fn), encoding="utf-8") as f:
                for line in f.read().split("\n"):
                    m = TR_RE.match(line)
                    if m:
                        texts[m.group(1)] = norm_ws(TAG_RE.sub("", line.split("]: ", 1)[1]))
            with open(os.path.join(emo_dir, fn), encoding="utf-8") as f:
                for line in f.read().split("\n"):
                    m = EMO_RE.match(line)
                    if not m:
                        continue
                    uid, lab = m.group(3), m.group(4)
                    assert uid not in seen
                    seen.add(uid)
                    assert uid.rsplit("_", 1)[0] == dialog
                    wav = os.path.join(sd, "sentences", "wav", dialog, uid + ".wav")
                    assert os.path.isfile(wav), wav
                    if not all_labels and lab not in IEMOCAP_MAP:
                        continue
                    sess = int(uid[3:5])
                    sm = re.search(r"script(\d+)", dialog)
                    rows.append([uid, os.path.relpath(wav, out).replace(os.sep, "/"),
                                 "Ses%02d_%s" % (sess, uid.rsplit("_", 1)[1][0]),
                                 lab if all_labels else IEMOCAP_MAP[lab], texts.get(uid, ""),
                                 str(sess), dialog, str(int(sm.group(1))) if sm else ""])
    return sorted(rows)


def parse_msp(root, out, labels_name, all_labels):
    with open(os.path.join(root, "Labels", labels_name), encoding="utf-8", newline="") as f:
        recs = list(csv.DictReader(f))
    rows = []
    for r in recs:
        wav = os.path.join(root, "Audios", r["FileName"])
        assert os.path.isfile(wav), wav
        if not all_labels and r["EmoClass"] not in MSP_MAP:
            continue
        uid = r["FileName"][:-4]
        tp = os.path.join(root, "Transcripts", uid + ".txt")
        text = ""
        if os.path.exists(tp):
            with open(tp, "rb") as f:
                text = norm_ws(f.read().decode("utf-8-sig"))
        rows.append([uid, os.path.relpath(wav, out).replace(os.sep, "/"), r["SpkrID"],
                     r["EmoClass"] if all_labels else MSP_MAP[r["EmoClass"]], text,
                     r["Split_Set"], r["Gender"]])
    return sorted(rows)


def read_expected(path, header):
    with open(path, "rb") as f:
        data = f.read()
    assert data.endswith(b"\n")
    text = data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == header, rows[0]
    body = rows[1:]
    assert all(len(r) == len(header) for r in body)
    ids = [r[0].encode("utf-8") for r in body]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    # quoted iff needed: re-serialise field by field and compare bytes
    assert csv_text(header, body) == text
    return body


def check_wav(path):
    with wave.open(path, "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, SR)
        assert 0.1 <= w.getnframes() / SR <= 0.3


def self_check(out, cases):
    iroot = os.path.join(out, "iemocap")
    for name, all_labels in (("iemocap.expected.csv", False), ("iemocap.all.expected.csv", True)):
        exp = read_expected(os.path.join(out, name), IEMOCAP_HEADER)
        got = parse_iemocap(iroot, out, all_labels)
        assert exp == got, (name, [r for r in exp if r not in got], [r for r in got if r not in exp])
        for r in exp:
            check_wav(os.path.join(out, r[1]))
    allrows = read_expected(os.path.join(out, "iemocap.all.expected.csv"), IEMOCAP_HEADER)
    assert {r[3] for r in allrows} == set(IEMOCAP_LABELS)
    assert any(r[0] == "Ses01F_impro01_M003" and r[2] == "Ses01_M" for r in allrows)
    default = read_expected(os.path.join(out, "iemocap.expected.csv"), IEMOCAP_HEADER)
    with open(os.path.join(out, "iemocap.expected.counts")) as f:
        cl = [line.split() for line in f.read().splitlines()]
    assert [c[0] for c in cl[:4]] == ["angry", "happy", "sad", "neutral"]
    for c in cl[:4]:
        assert int(c[1]) == sum(r[3] == c[0] for r in default)
    dl = [(c[1], int(c[2])) for c in cl[4:]]
    assert [c[0] for c in cl[4:]] == ["dropped"] * len(dl) and dl == sorted(dl)
    assert sum(n for _, n in dl) + len(default) == len(allrows)
    for lab, n in dl:
        assert n == sum(r[3] == lab for r in allrows)

    for tree, lname, files in (("msp", "labels_consensus.csv", [("msp.expected.csv", False),
                                                                ("msp.all.expected.csv", True)]),
                               ("msp1", "labels_concensus.csv", [("msp1.expected.csv", False)])):
        for name, all_labels in files:
            exp = read_expected(os.path.join(out, name), MSP_HEADER)
            got = parse_msp(os.path.join(out, tree), out, lname, all_labels)
            assert exp == got, (name, [r for r in exp if r not in got], [r for r in got if r not in exp])
            for r in exp:
                check_wav(os.path.join(out, r[1]))
    assert sorted({r[3] for r in read_expected(os.path.join(out, "msp.all.expected.csv"), MSP_HEADER)}) \
        == sorted(MSP_CLASSES)
    assert not os.path.exists(os.path.join(out, "msp1", "Transcripts"))
    assert {r[5] for r in read_expected(os.path.join(out, "msp1.expected.csv"), MSP_HEADER)} >= {"Validation"}

    # each bad tree carries its defect where its .expect says
    bad = os.path.join(out, "bad")
    for case, sub in cases.items():
        with open(os.path.join(bad, case + ".expect"), encoding="utf-8") as f:
            assert f.read() == sub + "\n"
    assert os.listdir(os.path.join(bad, "iemocap-empty")) == ["notes.txt"]

    def line_of(path, n):
        with open(path, encoding="utf-8") as f:
            return f.read().split("\n")[n - 1]

    def find(root, base):
        hits = [os.path.join(dp, base) for dp, _, fns in os.walk(root) if base in fns
                and os.path.basename(dp) == "EmoEvaluation"]
        assert len(hits) == 1, hits
        return hits[0]

    fn, ln = cases["iemocap-noaudio"].split(":")
    p = find(os.path.join(bad, "iemocap-noaudio"), fn)
    uid = EMO_RE.match(line_of(p, int(ln))).group(3)
    sd = os.path.dirname(os.path.dirname(os.path.dirname(p)))
    assert not os.path.exists(os.path.join(sd, "sentences", "wav", fn[:-4], uid + ".wav"))
    assert os.path.isdir(os.path.join(bad, "iemocap-noaudio", "Session1"))
    try:
        parse_iemocap(os.path.join(bad, "iemocap-noaudio"), out, False)
        raise RuntimeError("iemocap-noaudio parsed")
    except AssertionError:
        pass
    fn, ln = cases["iemocap-dup"].split(":")
    p = find(os.path.join(bad, "iemocap-dup"), fn)
    with open(p, encoding="utf-8") as f:
        ids = [(i + 1, EMO_RE.match(l).group(3)) for i, l in enumerate(f.read().split("\n"))
               if EMO_RE.match(l)]
    dup = [i for i, (n, u) in enumerate(ids) if u in [v for _, v in ids[:i]]]
    assert len(dup) == 1 and ids[dup[0]][0] == int(ln)

    with open(os.path.join(bad, "msp-nocolumns", "Labels", "labels_consensus.csv")) as f:
        hdr = f.readline().strip().split(",")
    assert "EmoClass" not in hdr and "FileName" in hdr
    p = os.path.join(bad, "msp-noaudio", "Labels", "labels_consensus.csv")
    ln = int(cases["msp-noaudio"].split(":")[1])
    fn = line_of(p, ln).split(",")[0]
    assert not os.path.exists(os.path.join(bad, "msp-noaudio", "Audios", fn))
    with open(p) as f:
        lines = f.read().splitlines()
    assert sum(not os.path.exists(os.path.join(bad, "msp-noaudio", "Audios", l.split(",")[0]))
               for l in lines[1:]) == 1
    p = os.path.join(bad, "msp-dup", "Labels", "labels_consensus.csv")
    ln = int(cases["msp-dup"].split(":")[1])
    with open(p) as f:
        names = [l.split(",")[0] for l in f.read().splitlines()]
    assert names[ln - 1] in names[1:ln - 1] and len(set(names)) == len(names) - 1
    print("self-check passed")


def main(argv):
    args = [a for a in argv[1:] if a != "--self-check"]
    if len(args) != 1 or args[0].startswith("-"):
        sys.exit("usage: corpus_fixtures.py OUTDIR [--self-check]")
    cases = generate(args[0])
    if "--self-check" in argv[1:]:
        self_check(args[0], cases)


if __name__ == "__main__":
    main(sys.argv)
