#!/usr/bin/env python3
"""Planner for scripts/make-demo-corpus.sh: a synthetic corpus in IEMOCAP's on-disk layout.

The shell script does the synthesis (espeak-ng + sox, in parallel); this file decides
everything else, deterministically (one seeded random.Random, so every run makes the
same plan), and writes the text side of the corpus:

    demo_corpus_plan.py jobs   ROOT    print one TSV synthesis job per missing utterance wav
    demo_corpus_plan.py layout ROOT N  after synthesis: EmoEvaluation, transcriptions,
                                       Categorical/Attribute/Self-evaluation files, whole-
                                       dialogue wavs, AppleDouble junk; print the summary
                                       line (N = how many wavs this run synthesised)

ROOT is OUTDIR/IEMOCAP_demo. Python standard library only.

Why the content looks like this: the paper being reproduced (Pepino et al., ICASSP 2020)
finds that text features score suspiciously well on IEMOCAP because the scripted
dialogues repeat the same lines, with mostly the same emotion, in every session. So
scripted lines here repeat word for word across sessions with an ~85% fixed emotion,
while improvised turns get fresh sentences built from emotion-bearing templates
(informative text, but no verbatim repeats).
"""

import os
import random
import sys
import wave
from xml.sax.saxutils import escape

SEED = 2020
RATE = 16000  # Hz; IEMOCAP sentence wavs are 16 kHz, 16-bit, mono

# Two speakers per session, one female and one male, each with their own espeak-ng voice
# (10 distinct voices). Note: espeak-ng silently ignores a variant on "en-gb"
# ("en-gb+f2" sounds exactly like "en-gb"), so the British variants are spelt "en+...".
VOICES = {
    1: {"F": "en-us+f3", "M": "en-us"},
    2: {"F": "en+f2", "M": "en-gb-scotland"},
    3: {"F": "en-gb-x-rp+f4", "M": "en-029"},
    4: {"F": "en-us+Annie", "M": "en-gb-x-rp+m3"},
    5: {"F": "en-gb-scotland+f5", "M": "en+m7"},
}

# Improvised dialogues per session (IEMOCAP numbers them impro01..impro08, with a split
# pair impro05a/impro05b; a reader must accept the letter suffix).
IMPROS = {
    1: ["impro01", "impro02", "impro03"],
    2: ["impro04", "impro06", "impro07"],
    3: ["impro05a", "impro05b", "impro08"],
    4: ["impro01", "impro03", "impro06"],
    5: ["impro02", "impro04", "impro07"],
}

MAIN = ["ang", "hap", "sad", "neu"]  # the 4 classes; "hap" stands for hap or exc here

# Scripts: fixed lines, each with the emotion the script calls for. Performed once in
# every session; the actors follow the script emotion ~85% of the time.
SCRIPTS = {
    "script01": [  # a job offer far away
        ("neu", "The letter came this morning."),
        ("neu", "What does it say?"),
        ("exc", "They offered me the job in Boston!"),
        ("hap", "That's wonderful, I'm so proud of you."),
        ("ang", "You said yes without asking me?"),
        ("sad", "So you're really leaving."),
        ("sad", "I'll miss you every day."),
        ("ang", "You never even asked me!"),
        ("ang", "Don't you dare blame this on me!"),
        ("sad", "I wish things were different."),
    ],
    "script02": [  # lost luggage at the airport desk
        ("neu", "Next, please. How can I help?"),
        ("ang", "My bag has been lost for three days!"),
        ("neu", "Let me look up your claim."),
        ("ang", "I gave you that number twice already!"),
        ("neu", "The system says it's in Denver."),
        ("sad", "Everything I own was in that bag."),
        ("neu", "We can deliver it tomorrow."),
        ("hap", "Oh, thank goodness. What a relief."),
        ("ang", "And who pays for my ruined trip?"),
        ("hap", "Thank you, you've been very kind."),
    ],
    "script03": [  # two old friends meet again
        ("exc", "Oh my god, is that really you?"),
        ("hap", "It's so good to see you again!"),
        ("neu", "I moved back here in the spring."),
        ("exc", "You look amazing, I love your hair!"),
        ("sad", "I heard about your father."),
        ("sad", "He passed away last winter."),
        ("sad", "I'm so sorry, he was a good man."),
        ("neu", "The funeral was in March."),
        ("ang", "And you never called me back!"),
        ("hap", "Let's have dinner tonight, my treat."),
    ],
}

# Improvised turns: emotion-bearing templates plus slot fillers, so the words carry the
# emotion but sentences (almost) never repeat.
TEMPLATES = {
    "ang": [
        "I can't believe you {broke} my {thing} again!",
        "Don't you ever touch my {thing} again!",
        "You lied to me about the {thing}!",
        "This is the {nth} time you're late!",
        "Stop {doing} and listen to me!",
        "I told you never to call {person}!",
        "Get out of my {room} right now!",
        "Who said you could take my {thing}?",
    ],
    "hap": [
        "This is the best {thing} I've ever seen!",
        "I love the {thing} you gave me.",
        "We won the {prize}, I'm so happy!",
        "What a lovely {day}, isn't it?",
        "I can't wait to see {person}!",
        "Oh, this {food} is delicious!",
        "You made my whole {day}!",
        "We're going to {city} together!",
    ],
    "sad": [
        "I miss {person} so much.",
        "Nobody came to my {event}.",
        "I lost my {thing} today.",
        "{person} isn't coming back.",
        "I feel so alone in {city}.",
        "Our old {pet} died last {day}.",
        "I never said goodbye to {person}.",
        "The {event} was cancelled again.",
    ],
    "neu": [
        "The {thing} is on the {place}.",
        "The {event} starts at {clock}.",
        "I parked near the {building}.",
        "Please fill out this {form}.",
        "The {building} closes at {clock}.",
        "I need to renew my {form}.",
        "Take the bus to {street}.",
        "It might rain on {weekday}.",
    ],
}
FILLERS = {
    "broke": ["broke", "lost", "scratched", "sold", "borrowed", "dropped"],
    "thing": ["phone", "car", "laptop", "bike", "guitar", "camera", "watch", "jacket",
              "wallet", "keys", "notebook", "umbrella"],
    "nth": ["third", "fourth", "fifth", "tenth"],
    "doing": ["shouting", "texting", "lying", "laughing", "interrupting"],
    "person": ["Grandma", "Michael", "my sister", "your brother", "Sarah", "Uncle Joe",
               "my father", "Anna"],
    "room": ["room", "kitchen", "office", "house", "garage"],
    "prize": ["lottery", "contest", "final", "raffle", "championship"],
    "day": ["day", "morning", "evening", "weekend", "summer"],
    "food": ["cake", "soup", "pie", "pasta", "curry", "bread"],
    "city": ["Paris", "Chicago", "Rome", "Tokyo", "Seattle", "Dublin"],
    "event": ["party", "wedding", "concert", "recital", "birthday", "game"],
    "pet": ["dog", "cat", "horse", "parrot"],
    "place": ["table", "shelf", "counter", "desk", "chair"],
    "clock": ["nine", "ten thirty", "noon", "four", "half past six"],
    "building": ["library", "station", "bank", "post office", "clinic", "museum"],
    "form": ["form", "license", "passport", "permit", "application"],
    "street": ["Main Street", "Oak Avenue", "the harbour", "Elm Road", "the airport"],
    "weekday": ["Monday", "Tuesday", "Thursday", "Friday", "Sunday"],
}

# Prosody per label, as (low, high) ranges drawn per utterance: espeak-ng -s rate (wpm),
# -p pitch (0-99), -a amplitude (0-200), SSML <prosody range> (pitch excursion, 0-100),
# then optional sox effects. Caricatures, not acting: angry fast+loud+high, happy
# high+lively, sad slow+low+quiet, neutral plain. exc is rendered like hap because the
# 4-class setup merges it into happy. espeak-ng's output saturates from about -a 130, so
# angry is synthesised just below that and then attenuated 2 dB (it must not clip, even
# after the treble boost), and the other labels sit lower still: only the ratios
# between labels matter.
PROSODY = {
    "neu": dict(rate=(145, 165), pitch=(42, 55), amp=(50, 58), range=(35, 50), fx=""),
    "ang": dict(rate=(185, 215), pitch=(62, 76), amp=(110, 125), range=(70, 90),
                fx="gain -2 treble +4"),
    "hap": dict(rate=(165, 185), pitch=(70, 84), amp=(64, 74), range=(85, 100), fx=""),
    "sad": dict(rate=(110, 128), pitch=(18, 30), amp=(30, 38), range=(6, 18),
                fx="lowpass 3500"),
    "fru": dict(rate=(160, 180), pitch=(50, 62), amp=(66, 78), range=(55, 70), fx=""),
    "sur": dict(rate=(160, 180), pitch=(78, 92), amp=(64, 74), range=(90, 100), fx=""),
    "fea": dict(rate=(190, 210), pitch=(72, 85), amp=(40, 48), range=(70, 85),
                fx="tremolo 7 40"),
    "dis": dict(rate=(120, 135), pitch=(30, 40), amp=(54, 62), range=(30, 45), fx=""),
}
PROSODY["exc"] = PROSODY["hap"]

# Labels outside the 4 classes, which a 4-class reader drops. Counts are fixed (18 of
# ~300, 6%); each is given to an utterance whose words fit it (fru only to neutral
# sentences: taking it from the angry ones would leave angry the smallest class).
EXTRAS = [("fru", 6, ("neu",)), ("sur", 4, ("hap", "exc", "neu")),
          ("xxx", 5, None), ("fea", 1, ("sad",)), ("dis", 1, ("ang",)), ("oth", 1, None)]

# Names used by the annotator lines (C-E*) and by Categorical/ files.
CAT_NAME = {"neu": "Neutral", "ang": "Anger", "hap": "Happiness", "exc": "Excited",
            "sad": "Sadness", "fru": "Frustration", "sur": "Surprise", "fea": "Fear",
            "dis": "Disgust", "oth": "Other"}
# Typical valence/activation/dominance (1-5) per label, for the A-E* lines.
VAD = {"neu": (3, 2, 2), "ang": (1.5, 4, 4), "hap": (4.5, 3, 3), "exc": (4, 4, 3),
       "sad": (1.5, 1.5, 2), "fru": (2, 3, 3), "sur": (3.5, 4, 2.5), "fea": (1.5, 3.5, 1.5),
       "dis": (1.5, 3, 3.5), "oth": (3, 3, 3)}
COMMENTS = ["curious", "polite", "tense", "sarcastic", "bored", "warm",
            "mildly aggravated but staying polite, attitude"]


def happy_of(label):
    return "hap" if label in ("hap", "exc") else label


# Improvised words are only partly tied to the emotion: a share of turns say a sentence
# of another emotion's templates (people say "I lost my keys" cheerfully). Then text
# helps on improvised turns but less than the scripted lines' memorised emotions do, so
# the demo shows the paper's Figure 2 finding: folds that let scripts leak overrate text.
# The choice uses its own generator so the main plan (labels, prosody) does not move.
OFF_TOPIC_SHARE = 0.5
_off_topic_rng = random.Random(SEED + 1)


def compose(rng, label, used):
    """A fresh templated sentence for an improvised turn."""
    text = compose_from(rng, TEMPLATES[happy_of(label)], used)
    if _off_topic_rng.random() < OFF_TOPIC_SHARE:
        used.discard(text)
        other = _off_topic_rng.choice(sorted(TEMPLATES))
        text = compose_from(_off_topic_rng, TEMPLATES[other], used)
    return text


def compose_from(rng, pool, used):
    """A templated sentence from pool that was not used before."""
    for _ in range(100):
        text = rng.choice(pool)
        for slot, words in FILLERS.items():
            while "{" + slot + "}" in text:
                text = text.replace("{" + slot + "}", rng.choice(words), 1)
        text = text[0].upper() + text[1:]
        if text not in used:
            used.add(text)
            return text
    return text  # pragma: no cover (the pools are far larger than the corpus)


def build_plan():
    """Every utterance of the corpus, in order; identical on every call."""
    global _off_topic_rng
    _off_topic_rng = random.Random(SEED + 1)
    rng = random.Random(SEED)
    used = set()
    dialogs = []  # dicts: session, name, kind, utts
    for s in range(1, 6):
        ses = "Ses%02d" % s
        lead_first = "F" if s % 2 else "M"  # sessions alternate the first lead too
        scripts = list(SCRIPTS)
        takes = {name: rng.choice((1, 2)) for name in scripts}
        order = [("impro", b) for b in IMPROS[s]] + [("script", b) for b in scripts]
        # Improvised labels for the whole session come from a balanced bag (rotated per
        # session so no class is always the one with the extra turn).
        n_impro = [rng.choice((9, 10, 11)) for _ in range(3)]
        rot = MAIN[s % 4:] + MAIN[:s % 4]
        bag = [rot[i % 4] for i in range(sum(n_impro))]
        rng.shuffle(bag)
        k_impro = 0
        for d, (kind, base) in enumerate(order):
            lead = lead_first if d % 2 == 0 else ("M" if lead_first == "F" else "F")
            other = "M" if lead == "F" else "F"
            if kind == "impro":
                name = "%s%s_%s" % (ses, lead, base)
                lines = []
                for j in range(n_impro[k_impro]):
                    label = bag.pop()
                    if label == "hap":
                        label = rng.choice(("hap", "exc"))
                    lines.append((label, compose(rng, label, used)))
                k_impro += 1
            else:
                name = "%s%s_%s_%d" % (ses, lead, base, takes[base])
                lines = []
                for script_label, text in SCRIPTS[base]:
                    label = script_label
                    if rng.random() >= 0.85:  # the actor reads it another way
                        label = rng.choice([m for m in MAIN if m != happy_of(label)])
                        if label == "hap":
                            label = rng.choice(("hap", "exc"))
                    lines.append((label, text))
            utts = []
            count = {"F": 0, "M": 0}
            for j, (label, text) in enumerate(lines):
                spk = lead if j % 2 == 0 else other  # turns alternate, lead first
                uid = "%s_%s%03d" % (name, spk, count[spk])
                count[spk] += 1
                utts.append(dict(id=uid, spk=spk, label=label, act=label, text=text,
                                 tag=None))
            dialogs.append(dict(session=s, name=name, kind=kind, lead=lead, utts=utts))

    everything = [u for d in dialogs for u in d["utts"]]
    # Relabel a few utterances with the minor labels. "act" (how it is spoken) follows,
    # except for xxx/oth, which stay as performed: annotators simply did not agree.
    free = list(range(len(everything)))
    for label, n, fits in EXTRAS:
        pool = [i for i in free if fits is None or everything[i]["label"] in fits]
        for i in rng.sample(pool, n):
            free.remove(i)
            everything[i]["label"] = label
            if label in PROSODY:
                everything[i]["act"] = label
    # Non-speech tags in a few transcripts (never spoken), as in the real transcriptions.
    for i in rng.sample(range(len(everything)), 15):
        tag = rng.choice(("[LAUGHTER]", "[BREATHING]", "[GARBAGE]"))
        everything[i]["tag"] = (tag, rng.choice(("before", "after")))
    # Per-utterance prosody, drawn here so it is part of the deterministic plan.
    for u in everything:
        p = PROSODY[u["act"]]
        u["prosody"] = {k: rng.randint(*p[k]) for k in ("rate", "pitch", "amp", "range")}
        u["fx"] = p["fx"]
    return dialogs


def paths(root, d):
    sdir = os.path.join(root, "Session%d" % d["session"])
    return dict(
        sent=os.path.join(sdir, "sentences", "wav", d["name"]),
        emo=os.path.join(sdir, "dialog", "EmoEvaluation"),
        trans=os.path.join(sdir, "dialog", "transcriptions"),
        dwav=os.path.join(sdir, "dialog", "wav"),
    )


def cmd_jobs(root):
    """One TSV line per utterance wav still to synthesise:
    out_wav, voice, rate, pitch, amp, ssml, sox_effects ("none" when there are none)."""
    for d in build_plan():
        sent = paths(root, d)["sent"]
        for u in d["utts"]:
            out = os.path.join(sent, u["id"] + ".wav")
            if os.path.isfile(out) and os.path.getsize(out) > 0:
                continue  # kept: resumable and idempotent
            p = u["prosody"]
            ssml = '<speak><prosody range="%d">%s</prosody></speak>' % (
                p["range"], escape(u["text"]))
            print("\t".join([out, VOICES[d["session"]][u["spk"]], str(p["rate"]),
                             str(p["pitch"]), str(p["amp"]), ssml, u["fx"] or "none"]))


def write_if_changed(path, data):
    """Write atomically, and not at all when the content is already there, so that a
    second run leaves every file (and its mtime) alone."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except FileNotFoundError:
        pass
    tmp = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def appledouble(rng):
    """4096 bytes shaped like a macOS AppleDouble '._' file (magic 00 05 16 07)."""
    head = bytes.fromhex("00051607" "00020000") + b"Mac OS X        " + bytes.fromhex(
        "0002" "00000009" "00000032" "00000ee2" "00000002" "00000f14" "0000002c")
    body = bytes(rng.getrandbits(8) if i % 7 == 0 else 0 for i in range(4096 - len(head)))
    return head + body


def fmt_votes(labels):
    return " ".join(CAT_NAME[x] + ";" for x in labels)


def annotate(rng, u, cat_evals, dim_evals, self_eval):
    """Annotator lines for one turn, consistent with its consensus label."""
    label = u["label"]
    votes = {}
    if label == "xxx":  # no majority: the evaluators disagree
        picks = rng.sample(["neu", "fru", "ang", "sad", "hap", "exc", "sur"],
                           len(cat_evals))
        for ev, x in zip(cat_evals, picks):
            votes[ev] = [x]
    else:
        dissent = rng.random() < 0.3
        for k, ev in enumerate(cat_evals):
            v = [label]
            if dissent and k == len(cat_evals) - 1:  # one evaluator sees it differently
                v = [rng.choice([x for x in CAT_NAME if x != label])]
            elif rng.random() < 0.15:  # or gives a second emotion as well
                v = v + [rng.choice([x for x in ("fru", "neu", "exc", "sur") if x != label])]
            votes[ev] = v
    base = VAD["neu" if label == "xxx" else label]
    dims = {}
    for ev in dim_evals + ([self_eval] if self_eval else []):
        dims[ev] = tuple(max(1, min(5, int(round(b + rng.choice((-1, 0, 0, 1))))))
                         for b in base)
    lines = []
    for ev in cat_evals:
        lines.append("C-%s:\t%s\t(%s)" % (ev, fmt_votes(votes[ev]), comment(rng)))
    if self_eval:
        own = votes[cat_evals[0]] if label != "xxx" else ["neu"]
        lines.append("C-%s:\t%s\t(%s)" % (self_eval, fmt_votes(own), comment(rng)))
    for ev in dim_evals + ([self_eval] if self_eval else []):
        v, a, d = dims[ev]
        # Real files have two spaces after "dom".
        lines.append("A-%s:\tval %d; act %d; dom  %d;\t(%s)" % (ev, v, a, d, comment(rng)))
    # The header's [V, A, D] is the mean of the outside (A-E*) evaluators.
    mean = tuple(sum(dims[ev][i] for ev in dim_evals) / len(dim_evals) for i in range(3))
    return votes, dims, mean, lines


def comment(rng):
    return rng.choice(COMMENTS) if rng.random() < 0.08 else ""


def fmt_time(t):
    return "%08.4f" % t  # transcriptions: [006.2901-008.2357]


def cmd_layout(root, synthesised):
    dialogs = build_plan()
    labels = {}
    per_session = {}
    for d in dialogs:
        p = paths(root, d)
        for k in ("emo", "trans", "dwav"):
            os.makedirs(p[k], exist_ok=True)
        for sub in ("Categorical", "Attribute", "Self-evaluation"):
            os.makedirs(os.path.join(p["emo"], sub), exist_ok=True)
        # Separate random streams per dialogue for timing and annotation, so this phase
        # is deterministic too and independent of which wavs had to be synthesised.
        rng = random.Random("%d:%s" % (SEED, d["name"]))

        # Times: utterances one after the other, with pauses, from their real lengths.
        cursor = int(rng.uniform(1.0, 3.0) * RATE)
        segs = []  # (uid, start_sample, frames)
        for u in d["utts"]:
            # Starts on a multiple of 8 samples (0.5 ms), so the 4-decimal start times
            # written below are exact sample positions in the dialogue wav.
            cursor = (cursor + 7) // 8 * 8
            wav_path = os.path.join(p["sent"], u["id"] + ".wav")
            with wave.open(wav_path, "rb") as w:
                assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (RATE, 1, 2), wav_path
                frames = w.getnframes()
            segs.append((u, cursor, frames))
            cursor += frames + int(rng.uniform(0.3, 1.2) * RATE)
        total = cursor

        # EmoEvaluation/<dialog>.txt, and the per-evaluator files under its subfolders.
        cat_evals = sorted(rng.sample(["E1", "E2", "E3", "E4"], 3))
        dim_evals = sorted(rng.sample(["E1", "E2", "E3", "E4", "E5", "E6"], 2))
        self_eval = (d["lead"] + "1") if rng.random() < 0.6 else None
        emo = ["% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]", ""]
        cat_files = {ev: [] for ev in cat_evals[:2]}
        atr_lines, self_lines = [], []
        for u, start, frames in segs:
            t0, t1 = start / RATE, (start + frames) / RATE
            votes, dims, mean, lines = annotate(rng, u, cat_evals, dim_evals, self_eval)
            emo.append("[%.4f - %.4f]\t%s\t%s\t[%.4f, %.4f, %.4f]" % (
                t0, t1, u["id"], u["label"], mean[0], mean[1], mean[2]))
            emo.extend(lines)
            emo.append("")
            for ev in cat_files:
                names = ["Neutral state" if x == "neu" else CAT_NAME[x] for x in votes[ev]]
                cat_files[ev].append("%s :%s ()" % (u["id"], " ".join(n + ";" for n in names)))
            v, a, dm = dims[dim_evals[0]]
            atr_lines.append("%s :act %d; :val %d; :dom  %d; ()" % (u["id"], a, v, dm))
            if self_eval:
                v, a, dm = dims[self_eval]
                self_lines.append("%s :act %d; :val %d; :dom  %d; ()" % (u["id"], a, v, dm))
            labels[u["label"]] = labels.get(u["label"], 0) + 1
            per_session[d["session"]] = per_session.get(d["session"], 0) + 1
        write_if_changed(os.path.join(p["emo"], d["name"] + ".txt"), "\n".join(emo) + "\n")
        for ev, lines in cat_files.items():
            write_if_changed(os.path.join(p["emo"], "Categorical",
                                          "%s_%s_cat.txt" % (d["name"], ev.lower())),
                             "\n".join(lines) + "\n")
        write_if_changed(os.path.join(p["emo"], "Attribute",
                                      "%s_%s_atr.txt" % (d["name"], dim_evals[0].lower())),
                         "\n".join(atr_lines) + "\n")
        if self_eval:
            write_if_changed(os.path.join(p["emo"], "Self-evaluation",
                                          "%s_%s_atr.txt" % (d["name"], self_eval.lower())),
                             "\n".join(self_lines) + "\n")

        # transcriptions/<dialog>.txt: "ID [start-end]: text", by time, plus the noise
        # real files have: lines that do not parse, and turn ids with no label or wav.
        trans = []
        for k, (u, start, frames) in enumerate(segs):
            text = u["text"]
            if u["tag"]:
                tag, where = u["tag"]
                text = "%s %s" % (tag, text) if where == "before" else "%s %s" % (text, tag)
            trans.append("%s [%s-%s]: %s" % (u["id"], fmt_time(start / RATE),
                                             fmt_time((start + frames) / RATE), text))
            if k == 2 and rng.random() < 0.5:
                trans.append("%s: [BREATHING]" % ("M" if u["spk"] == "F" else "F"))
            if k == 5 and rng.random() < 0.3:
                # A backchannel that was never cut out or evaluated: fills the pause.
                g0 = (start + frames) / RATE + 0.05
                spk = "M" if u["spk"] == "F" else "F"
                trans.append("%s_%sXX0 [%s-%s]: Mm-hmm." % (d["name"], spk, fmt_time(g0),
                                                             fmt_time(g0 + 0.2)))
        if rng.random() < 0.3:
            trans.append("F: [LAUGHTER]")
        write_if_changed(os.path.join(p["trans"], d["name"] + ".txt"), "\n".join(trans) + "\n")

        # dialog/wav/<dialog>.wav: the turns placed at their times, silence between.
        # Rebuilt only when missing or older than one of its utterance wavs.
        dwav = os.path.join(p["dwav"], d["name"] + ".wav")
        newest = max(os.path.getmtime(os.path.join(p["sent"], u["id"] + ".wav"))
                     for u in d["utts"])
        if not (os.path.isfile(dwav) and os.path.getsize(dwav) > 0
                and os.path.getmtime(dwav) >= newest):
            tmp = os.path.join(p["dwav"], "." + d["name"] + ".wav.part")
            with wave.open(tmp, "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(RATE)
                pos = 0
                for u, start, frames in segs:
                    out.writeframes(bytes(2 * (start - pos)))
                    with wave.open(os.path.join(p["sent"], u["id"] + ".wav"), "rb") as w:
                        out.writeframes(w.readframes(frames))
                    pos = start + frames
                out.writeframes(bytes(2 * (total - pos)))
            os.replace(tmp, dwav)

        # AppleDouble junk, as left by macOS tarballs: readers must skip "._*" names.
        junk_rng = random.Random("%d:junk:%s" % (SEED, d["name"]))
        if junk_rng.random() < 0.5:
            for u in junk_rng.sample(d["utts"], 2):
                write_if_changed(os.path.join(p["sent"], "._" + u["id"] + ".wav"),
                                 appledouble(junk_rng))
        if d["name"].split("_")[1] in ("impro01", "impro04", "impro05a", "impro06"):
            for k in ("emo", "trans"):
                write_if_changed(os.path.join(p[k], "._" + d["name"] + ".txt"),
                                 appledouble(junk_rng))
        if d["name"].split("_")[1] == "impro03":
            write_if_changed(os.path.join(p["dwav"], "._" + d["name"] + ".wav"),
                             appledouble(junk_rng))

    write_if_changed(os.path.join(root, "README.txt"), README)
    order = ["ang", "hap", "exc", "sad", "neu", "fru", "sur", "xxx", "fea", "dis", "oth"]
    n = sum(labels.values())
    print("%s: %d utterances in %d dialogues (%s); per label: %s; synthesised %d, kept %d" % (
        root, n, len(dialogs),
        ", ".join("Session%d %d" % (s, c) for s, c in sorted(per_session.items())),
        " ".join("%s %d" % (k, labels[k]) for k in order if k in labels),
        synthesised, n - synthesised))


README = """IEMOCAP_demo: a SYNTHETIC stand-in for IEMOCAP_full_release, made by
scripts/make-demo-corpus.sh (espeak-ng + sox). Same directory layout and file formats,
robot voices, emotions as prosody caricatures. It contains no IEMOCAP data and says
nothing about real recognition accuracy; it exists to exercise corpus readers, folds and
the text-leak effect of scripted dialogues.
"""


def main(argv):
    if len(argv) == 3 and argv[1] == "jobs":
        cmd_jobs(argv[2])
    elif len(argv) == 4 and argv[1] == "layout":
        cmd_layout(argv[2], int(argv[3]))
    else:
        sys.exit("usage: demo_corpus_plan.py jobs ROOT | layout ROOT N_SYNTHESISED")


if __name__ == "__main__":
    main(sys.argv)
