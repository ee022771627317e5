#!/usr/bin/env python3
"""Independent check of a folds file (fold,id,role) against its manifest, for the tests of
`emofuse folds`: re-states each protocol's promise from docs/corpora.md in plain Python
(stdlib only, so CI runs it) instead of trusting the C checker.

usage: folds_check.py MANIFEST FOLDS PROTOCOL [--k K] [--test-values V1,V2] ...
Prints one line per violation and exits 1 if there is any; exits 0 and prints "ok" else.
"""
import csv
import sys
from collections import Counter, defaultdict


def main():
    args = sys.argv[1:]
    manifest, folds_path, protocol = args[:3]
    opts = dict(zip(args[3::2], args[4::2]))
    rows = {r["id"]: r for r in csv.DictReader(open(manifest, encoding="utf-8", newline=""))}
    folds = defaultdict(lambda: defaultdict(list))
    order = []
    for r in csv.DictReader(open(folds_path, encoding="utf-8", newline="")):
        if r["fold"] not in folds:
            order.append(r["fold"])
        folds[r["fold"]][r["role"]].append(r["id"])
    bad = []
    tested = Counter()
    for f in order:
        roles = folds[f]
        ids = [i for role in roles.values() for i in role]
        if len(ids) != len(set(ids)):
            bad.append(f"fold {f}: an id appears twice")
        if set(roles) - {"train", "dev", "test"}:
            bad.append(f"fold {f}: unknown role")
        if not roles["train"] or not roles["test"]:
            bad.append(f"fold {f}: empty train or test")
        for i in ids:
            if i not in rows:
                bad.append(f"fold {f}: unknown id {i}")
        tested.update(roles["test"])
        train_side = roles["train"] + roles["dev"]
        if protocol in ("speaker", "loso", "speaker-script"):
            shared = {rows[i]["speaker"] for i in train_side} & {rows[i]["speaker"] for i in roles["test"]}
            if shared:
                bad.append(f"fold {f}: speakers on both sides: {sorted(shared)}")
        if protocol in ("speaker", "speaker-script") and "session" in next(iter(rows.values())):
            shared = {rows[i]["session"] for i in train_side} & {rows[i]["session"] for i in roles["test"]}
            if shared:
                bad.append(f"fold {f}: sessions on both sides: {sorted(shared)}")
            if len({rows[i]["session"] for i in roles["test"]}) != 1:
                bad.append(f"fold {f}: tests more than one session")
        if protocol == "speaker-script":
            if any(rows[i]["script"] == "3" for i in train_side):
                bad.append(f"fold {f}: script 3 in training")
            if any(rows[i]["script"] in ("1", "2") for i in roles["test"]):
                bad.append(f"fold {f}: script 1 or 2 in test")
            # Everything it may use, it uses: session k's eligible rows test, others' train.
            s = rows[roles["test"][0]]["session"] if roles["test"] else None
            want_train = {i for i, r in rows.items() if r["session"] != s and r["script"] != "3"}
            if set(roles["train"]) != want_train:
                bad.append(f"fold {f}: training set is not the other sessions' improvised + script 1-2 rows")
    if protocol == "split":
        lists = {role: opts.get(f"--{role}-values", d).split(",")
                 for role, d in (("train", "Train"), ("dev", "Validation,Development"), ("test", "Test1"))}
        for i, r in rows.items():
            want = next((role for role, vals in lists.items() if r["split"] in vals), None)
            got = [role for role in ("train", "dev", "test") if i in folds[order[0]][role]] if order else []
            if (want and got != [want]) or (not want and got):
                bad.append(f"{i}: split {r['split']} but role {got}")
    else:
        if protocol == "speaker-script":
            eligible = {i for i, r in rows.items() if r["script"] in ("", "3")}
        else:
            eligible = set(rows)
        for i in rows:
            want = 1 if i in eligible else 0
            if tested[i] != want:
                bad.append(f"{i}: tested {tested[i]} times, expected {want}")
        if "--k" in opts and len(order) != int(opts["--k"]):
            bad.append(f"{len(order)} folds, expected {opts['--k']}")
        if protocol == "random":
            # Stratified: per class, fold test counts differ by at most one.
            for cls in {r["emotion"] for r in rows.values()}:
                n = [sum(rows[i]["emotion"] == cls for i in folds[f]["test"]) for f in order]
                if max(n) - min(n) > 1:
                    bad.append(f"class {cls}: test counts per fold {n} are not stratified")
    for line in bad[:20]:
        print(line)
    if bad:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
