"""Side-by-side table of the two JSON reports of scripts/bench-face-vs-python.sh (Rust zk-vision
and Python face_recognition), the ratio python time / rust time per stage, and how far apart the
two sides' 128-d embeddings of the same image are. Standard library only.

    python3 compare.py RUST_JSON[,RUST_JSON...] PYTHON_JSON[,PYTHON_JSON...] [MANIFEST_TSV]

With several reports per side (rounds run alternately, Rust then Python), each timing is the
smallest of the rounds' medians: the round least disturbed by other work on the machine.
"""

import json
import math
import statistics
import sys


def distance(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def iou(a, b):
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def cell(report, key):
    """'wall / CPU ms' of one timing."""
    wall, cpu = report.get(key + "_ms"), report.get(key + "_cpu_ms")
    if wall is None:
        return "–"
    return f"{wall:.1f} / {cpu:.1f}" if cpu is not None else f"{wall:.1f} / –"


def ratio(python, rust, key):
    parts = []
    for suffix in ("_ms", "_cpu_ms"):
        p, r = python.get(key + suffix), rust.get(key + suffix)
        parts.append("–" if p is None or r is None or r <= 0 else f"{p / r:.2f}×")
    return f"**{parts[0]}** / {parts[1]}"


def summary(values, digits=3):
    if not values:
        return "none"
    return (
        f"median {statistics.median(values):.{digits}f}, min {min(values):.{digits}f}, "
        f"max {max(values):.{digits}f} (n = {len(values)})"
    )


def read_clips(path):
    clips = {}
    with open(path, encoding="utf-8") as manifest:
        for line in manifest:
            fields = line.rstrip("\n").split("\t")
            if fields[0] == "clip":
                files = fields[2].split(",")
                clips[fields[1]] = (files[0], files[1:])
    return clips


def merge(reports):
    """The first report, with every timing (key ending in _ms) the smallest over all reports."""

    def smallest(values):
        numbers = [value for value in values if isinstance(value, (int, float))]
        return min(numbers) if numbers else None

    merged = dict(reports[0])
    for key, value in reports[0].items():
        if key.endswith("_ms"):
            merged[key] = smallest([report.get(key) for report in reports])
        elif isinstance(value, dict) and any(k.endswith("_ms") for k in value):
            merged[key] = dict(value)
            for inner in value:
                if inner.endswith("_ms"):
                    merged[key][inner] = smallest([report.get(key, {}).get(inner) for report in reports])
    merged["rounds"] = len(reports)
    return merged


def load(paths):
    reports = []
    for path in paths.split(","):
        with open(path, encoding="utf-8") as f:
            reports.append(json.load(f))
    return merge(reports)


def main():
    rust, python = load(sys.argv[1]), load(sys.argv[2])
    clips = read_clips(sys.argv[3]) if len(sys.argv) > 3 else {}
    rf, pf, pf1 = rust["frame"], python["frame"], python["frame_upsample1"]

    out = []
    out.append(
        f"{rust['frames']} frames of 640×480 (PNG), {rust['id_photos']} ID photos (102×126 JPEG), "
        f"{rust['clips']} clips of 6 of those frames; medians over all (image, repeat) samples "
        f"({rust['repeats']} repeats), the smallest of {rust['rounds']} alternate round(s). Faces found in the frames: Rust {rf['found']}/{rust['frames']}, "
        f"Python {pf['found']}/{python['frames']} (upsample 0) and "
        f"{pf1['found']}/{python['frames']} (upsample 1); in the ID photos: Python "
        f"{python['id_photos_found']}/{python['id_photos']}."
    )
    out.append("")
    out.append(
        "Each cell: median wall-clock ms / median CPU ms of the process; ratio = Python time / "
        "Rust time (wall / CPU)."
    )
    out.append("")
    out.append(
        "| stage | Rust zk-vision | Python, upsample 0 | ratio | "
        "Python, upsample 1 (its default) | ratio |"
    )
    out.append("|---|---|---|---|---|---|")
    for label, key in [
        ("detect, 640×480 frame", "detect"),
        ("align (5 points)", "align"),
        ("align + embed (128-d ResNet)", "align_embed"),
        ("**detect + align + embed, 640×480 frame**", "total"),
    ]:
        out.append(
            f"| {label} | {cell(rf, key)} | {cell(pf, key)} | {ratio(pf, rf, key)} | "
            f"{cell(pf1, key)} | {ratio(pf1, rf, key)} |"
        )
    python1 = {
        key.replace("_upsample1", ""): value
        for key, value in python.items()
        if "_upsample1_" in key
    }
    for label, key in [
        ("ID photo template, 102×126 JPEG", "id_template"),
        ("clip decision (6 frames, best 5)", "clip_decision"),
        ("**ID photo + clip decision**", "id_and_clip"),
    ]:
        p1 = python1 if key + "_ms" in python1 else python
        out.append(
            f"| {label} | {cell(rust, key)} | {cell(python, key)} | {ratio(python, rust, key)} | "
            f"{cell(p1, key)} | {ratio(p1, rust, key)} |"
        )
    hog = rust.get("reference_dlib_hog")
    if hog:
        out.append("")
        out.append(
            f"For reference, dlib's HOG detector itself (the call face_locations makes with "
            f"upsample 0) from Debian's libdlib, called from Rust on the same frames: "
            f"{cell(hog, 'detect')} ms (found {hog['found']}/{rust['frames']}); "
            f"Python's detect over it: {ratio(python['frame'], hog, 'detect')}."
        )
    out.append("")

    # Embedding agreement: the same image through both pipelines (different detector boxes).
    frame_d, frame_iou, id_d = [], [], []
    for name, r in rust["embeddings"].items():
        p = python["embeddings"].get(name)
        if p is None:
            continue
        d = distance(r["vector"], p["vector"])
        if name.startswith("id/"):
            id_d.append(d)
        else:
            frame_d.append(d)
            frame_iou.append(iou(r["box"], p["box"]))
    out.append(
        "Embedding agreement: Euclidean distance between the Rust and the Python 128-d vector of "
        "the same image, where both found the face (Python boxes from HOG, upsample 0 for frames "
        "and 1 for ID photos; Rust's ID embedding here without the mirror average):"
    )
    out.append("")
    out.append(f"- frames: {summary(frame_d)}; box overlap (IoU): {summary(frame_iou, 2)}")
    out.append(f"- ID photos: {summary(id_d)}")

    python_clips = {c["clip"]: c for c in python["clip_results"]}
    out.append("")
    out.append(
        "Clip decisions (genuine: ID photo from one photo of the person, frames from two others). "
        "\"all 6\": median distance of all six frames to the plain ID embedding, each side with "
        "its own embeddings:"
    )
    out.append("")
    out.append(
        "| clip | Rust: median of best 5 (decision) | Python: median of best 5 (decision) | "
        "same 5 frames | Rust, all 6 | Python, all 6 |"
    )
    out.append("|---|---|---|---|---|---|")
    for c in rust["clip_results"]:
        p = python_clips.get(c["clip"], {})
        same = sorted(c.get("frames", [])) == sorted(p.get("frames", []))
        all6 = []
        for report in (rust, python):
            id_name, frames = clips.get(c["clip"], (None, []))
            vectors = report["embeddings"]
            if id_name in vectors and all(frame in vectors for frame in frames) and frames:
                values = [distance(vectors[id_name]["vector"], vectors[f]["vector"]) for f in frames]
                all6.append(f"{statistics.median(values):.3f}")
            else:
                all6.append("–")
        out.append(
            f"| {c['clip']} | {c['median_distance']} ({c['decision']}) | "
            f"{p.get('median_distance')} ({p.get('decision')}) | {'yes' if same else 'no'} | "
            f"{all6[0]} | {all6[1]} |"
        )
    print("\n".join(out))


if __name__ == "__main__":
    main()
