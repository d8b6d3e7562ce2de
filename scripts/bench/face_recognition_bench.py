"""The Python side of scripts/bench-face-vs-python.sh: times the `face_recognition` package on
the image set that `bench_frames --prepare` made (manifest.tsv) and prints JSON with the same
keys as crates/zk-vision/examples/bench_frames.rs.

    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 taskset -c 0 python face_recognition_bench.py [--repeats N] DIR

Per frame (pixels decoded before timing): face_locations (HOG) + face_landmarks(model="small") +
face_encodings(num_jitters=1, model="small") on the largest face, each timed; "total" is the three
in sequence. Two detector settings: number_of_times_to_upsample=0 ("frame"; HOG's 80 px window
finds the bench's 170-210 px faces, as rustface looks for faces of at least 96 px) and 1
("frame_upsample1", face_recognition's default, the image is searched at 1280x960).

ID photo (the 102x126 JPEG, decoding included): load_image_file + face_locations(upsample 1; the
chip photo's face is about 56 px, below HOG's window without it) + face_encodings, once.

Clip decision: the six frames of a clip, each through face_locations; frames with exactly one face
at least 96 px wide are encoded; the five largest faces are compared with the ID photo's encoding
and the decision is on the median distance (the same rules as zk-vision's verify_clip).

Every timing is reported as the median wall-clock time (KEY_ms) and the median CPU time of the
process (KEY_cpu_ms, time.process_time), which other work on the machine disturbs less.
"""

import argparse
import json
import os
import statistics
import sys
import time
from importlib import metadata

import dlib
import face_recognition
import numpy as np

MIN_FACE_PX = 96
BEST_FRAMES = 5
PASS_AT_MOST = 0.45
REVIEW_AT_MOST = 0.55
MIN_FRAMES = 3


def dlib_package():
    """Which PyPI distribution provides the dlib module (dlib from the sdist, or dlib-bin)."""
    for name in ("dlib", "dlib-bin"):
        try:
            return f"{name}=={metadata.version(name)}"
        except metadata.PackageNotFoundError:
            pass
    return "unknown"


def read_manifest(directory):
    frames, ids, clips = [], [], []
    with open(os.path.join(directory, "manifest.tsv"), encoding="utf-8") as manifest:
        for line in manifest:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, name, files = line.split("\t")
            if kind == "frame":
                frames.append(name)
            elif kind == "id":
                ids.append(name)
            elif kind == "clip":
                files = files.split(",")
                clips.append((name, files[0], files[1:]))
            else:
                raise ValueError(f"bad manifest line {line!r}")
    return frames, ids, clips


def stamp():
    """Wall clock and this process's CPU time (all threads), in seconds."""
    return time.perf_counter(), time.process_time()


def since(start):
    """Milliseconds since `start`: (wall, cpu)."""
    wall, cpu = stamp()
    return (wall - start[0]) * 1000.0, (cpu - start[1]) * 1000.0


def median(values):
    return round(statistics.median(values), 3) if values else None


class Samples:
    """Timings of one stage: medians of the wall clock (KEY_ms) and of CPU time (KEY_cpu_ms)."""

    def __init__(self):
        self.wall, self.cpu = [], []

    def push(self, elapsed):
        self.wall.append(elapsed[0])
        self.cpu.append(elapsed[1])

    def json(self, key):
        return {key + "_ms": median(self.wall), key + "_cpu_ms": median(self.cpu)}


def width(location):
    top, right, bottom, left = location
    return right - left


def largest(locations):
    return max(locations, key=lambda location: width(location) * (location[2] - location[0]))


def as_box(location):
    top, right, bottom, left = location
    return [float(left), float(top), float(right - left), float(bottom - top)]


def time_frames(frames, upsample, repeats):
    detect, align, embed, total = Samples(), Samples(), Samples(), Samples()
    embeddings = {}
    found = 0
    for round_index in range(repeats):
        for name, image in frames.items():
            start = stamp()
            locations = face_recognition.face_locations(
                image, number_of_times_to_upsample=upsample, model="hog"
            )
            detect_time = since(start)
            detect.push(detect_time)
            if not locations:
                continue
            face = [largest(locations)]
            start = stamp()
            face_recognition.face_landmarks(image, face, model="small")
            align_time = since(start)
            start = stamp()
            encodings = face_recognition.face_encodings(
                image, face, num_jitters=1, model="small"
            )
            embed_time = since(start)
            align.push(align_time)
            embed.push(embed_time)
            total.push(tuple(sum(parts) for parts in zip(detect_time, align_time, embed_time)))
            if round_index == 0:
                found += 1
                embeddings[name] = {
                    "box": as_box(face[0]),
                    "vector": [round(float(v), 6) for v in encodings[0]],
                }
    stages = {"found": found}
    stages.update(detect.json("detect"))
    stages.update(align.json("align"))
    stages.update(embed.json("align_embed"))
    stages.update(total.json("total"))
    return stages, embeddings


def id_encoding(path):
    image = face_recognition.load_image_file(path)
    locations = face_recognition.face_locations(image, number_of_times_to_upsample=1)
    if not locations:
        return None, None
    face = [largest(locations)]
    return face[0], face_recognition.face_encodings(image, face, num_jitters=1, model="small")[0]


def decide_clip(id_vector, clip, upsample):
    """(compared frames, median distance, decision, indices of the compared frames)."""
    usable = []
    for index, image in enumerate(clip):
        locations = face_recognition.face_locations(image, number_of_times_to_upsample=upsample)
        big = [location for location in locations if width(location) >= MIN_FACE_PX]
        if len(big) == 1:
            vector = face_recognition.face_encodings(image, big, num_jitters=1, model="small")[0]
            usable.append((width(big[0]), index, vector))
    usable.sort(key=lambda item: -item[0])
    best = usable[:BEST_FRAMES]
    chosen = [index for _, index, _ in best]
    if len(best) < MIN_FRAMES or id_vector is None:
        return len(best), None, "review", chosen
    distances = face_recognition.face_distance(np.array([v for _, _, v in best]), id_vector)
    distance = float(np.median(distances))
    decision = (
        "pass" if distance <= PASS_AT_MOST else "review" if distance <= REVIEW_AT_MOST else "fail"
    )
    return len(best), distance, decision, chosen


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("directory")
    args = parser.parse_args()
    repeats = max(1, args.repeats)
    frame_names, id_names, clips = read_manifest(args.directory)
    frames = {
        name: face_recognition.load_image_file(os.path.join(args.directory, name))
        for name in sorted(frame_names)
    }

    # Warm-up (the models are loaded when face_recognition is imported).
    first = next(iter(frames.values()))
    face_recognition.face_encodings(first, face_recognition.face_locations(first, 0), 1, "small")

    result = {
        "impl": "python",
        "versions": {
            "python": sys.version.split()[0],
            "face_recognition": metadata.version("face_recognition"),
            "face_recognition_models": metadata.version("face_recognition_models"),
            "dlib": dlib.__version__,
            "dlib_package": dlib_package(),
            "dlib_uses_blas": bool(getattr(dlib, "DLIB_USE_BLAS", False)),
            "dlib_uses_avx": bool(getattr(dlib, "USE_AVX_INSTRUCTIONS", False)),
            "numpy": np.__version__,
        },
        "repeats": repeats,
        "frames": len(frames),
    }
    result["frame"], embeddings = time_frames(frames, 0, repeats)
    result["frame_upsample1"], _ = time_frames(frames, 1, repeats)

    id_time, id_vectors = Samples(), {}
    for name in sorted(id_names):
        path = os.path.join(args.directory, name)
        for _ in range(repeats):
            start = stamp()
            location, vector = id_encoding(path)
            id_time.push(since(start))
        id_vectors[name] = vector
        if vector is not None:
            embeddings[name] = {
                "box": as_box(location),
                "vector": [round(float(v), 6) for v in vector],
            }
    result["id_photos"] = len(id_names)
    result["id_photos_found"] = sum(vector is not None for vector in id_vectors.values())
    result.update(id_time.json("id_template"))

    result["clips"] = len(clips)
    clip_results = []
    for upsample, suffix in [(0, ""), (1, "_upsample1")]:
        clip_time, id_and_clip_time = Samples(), Samples()
        for clip_name, id_name, clip_frames in clips:
            clip = [frames[name] for name in clip_frames]
            id_path = os.path.join(args.directory, id_name)
            for _ in range(repeats):
                start = stamp()
                compared, distance, decision, chosen = decide_clip(
                    id_vectors[id_name], clip, upsample
                )
                clip_time.push(since(start))
                start = stamp()
                _, id_vector = id_encoding(id_path)
                decide_clip(id_vector, clip, upsample)
                id_and_clip_time.push(since(start))
            if upsample == 0:
                clip_results.append(
                    {
                        "clip": clip_name,
                        "compared": compared,
                        "median_distance": None if distance is None else round(distance, 3),
                        "decision": decision,
                        "frames": [clip_frames[index] for index in chosen],
                    }
                )
        for key, value in clip_time.json("clip_decision").items():
            result[key.replace("_ms", suffix + "_ms", 1)] = value
        for key, value in id_and_clip_time.json("id_and_clip").items():
            result[key.replace("_ms", suffix + "_ms", 1)] = value
    result["clip_results"] = clip_results
    result["embeddings"] = embeddings
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
