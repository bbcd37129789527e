"""Ready datasets.

- :func:`load_digits_noisy`: scikit-learn's bundled digits with seeded label flips (the
  demo default; nothing to download).
- Public datasets read from a local data home (``data_home`` argument, else the
  ``DATAQA_DATA_HOME`` environment variable, else ``../shared/data`` beside the
  repository): SMS spam, YouTube spam, and the WRENCH weak-supervision versions.
  Nothing is downloaded at run time.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from dataqa.errors import DataLoadError, InvalidSettingError

__all__ = [
    "default_data_home",
    "flip_labels",
    "load_digits_noisy",
    "load_sms_spam",
    "load_youtube_spam",
    "load_wrench",
    "YOUTUBE_DEV_PER_VIDEO",
    "YOUTUBE_TEST_VIDEOS",
    "YOUTUBE_TRAIN_VIDEOS",
]

_REPO_ROOT = Path(__file__).resolve().parent.parent


def default_data_home() -> Path:
    """``$DATAQA_DATA_HOME`` if set, else ``<repository>/../shared/data``."""
    env = os.environ.get("DATAQA_DATA_HOME")
    if env:
        return Path(env)
    return _REPO_ROOT.parent / "shared" / "data"


def _dataset_dir(name: str, data_home: str | os.PathLike | None) -> Path:
    home = Path(data_home) if data_home is not None else default_data_home()
    d = home / name
    if not d.is_dir() and home.is_dir() and home.name == name:
        d = home  # data_home names the dataset's own folder
    if not d.is_dir():
        raise DataLoadError(
            f"dataset folder {str(d)!r} does not exist; pass data_home=... (or set "
            f"DATAQA_DATA_HOME) to the folder that holds {name!r}."
        )
    return d


def flip_labels(labels: np.ndarray, noise_rate: float, *, n_classes: int | None = None,
                kind: str = "uniform", random_state: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Flip a fraction ``noise_rate`` of the labels, seeded.

    kind="uniform": each flipped label goes to another class chosen uniformly.
    kind="class_dependent": each class flips to one fixed other class (``(k + 1) % K``),
    the structured noise real annotators make.

    Returns
    -------
    noisy_labels : int ndarray (n,)
    flipped : bool ndarray (n,), True where the label was changed.
    """
    if not 0.0 <= noise_rate < 1.0:
        raise InvalidSettingError(f"noise_rate={noise_rate!r} must be in [0, 1).")
    labels = np.asarray(labels)
    k = int(n_classes if n_classes is not None else labels.max() + 1)
    rng = np.random.default_rng(random_state)
    n = len(labels)
    idx = rng.choice(n, size=int(round(noise_rate * n)), replace=False)
    noisy = labels.copy()
    if kind == "uniform":
        shift = rng.integers(1, k, size=len(idx))
        noisy[idx] = (labels[idx] + shift) % k
    elif kind == "class_dependent":
        noisy[idx] = (labels[idx] + 1) % k
    else:
        raise InvalidSettingError(f"kind={kind!r} must be 'uniform' or 'class_dependent'.")
    return noisy, noisy != labels


def load_digits_noisy(noise_rate: float = 0.08, *, random_state: int = 0,
                      kind: str = "uniform") -> tuple[pd.DataFrame, np.ndarray]:
    """scikit-learn's 8x8 digits (1,797 images) with seeded label flips.

    Returns
    -------
    frame : DataFrame with ``id`` (``digit-0000`` ...), 64 pixel columns ``px_0 .. px_63``,
        ``label`` (noisy) and ``true_label``.
    flipped : bool ndarray (n,), True where the label was flipped.
    """
    from sklearn.datasets import load_digits

    d = load_digits()
    noisy, flipped = flip_labels(d.target, noise_rate, n_classes=10, kind=kind,
                                 random_state=random_state)
    frame = pd.DataFrame(d.data, columns=[f"px_{i}" for i in range(d.data.shape[1])])
    frame.insert(0, "id", [f"digit-{i:04d}" for i in range(len(frame))])
    frame["label"] = noisy
    frame["true_label"] = d.target
    return frame, flipped


def load_sms_spam(data_home: str | os.PathLike | None = None) -> pd.DataFrame:
    """The UCI SMS Spam Collection: columns ``id`` (``sms-0000``), ``text``, ``label`` (ham/spam)."""
    path = _dataset_dir("sms_spam", data_home) / "SMSSpamCollection"
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            label, text = line.split("\t", 1)
            rows.append((label, text))
    df = pd.DataFrame(rows, columns=["label", "text"])
    df.insert(0, "id", [f"sms-{i:04d}" for i in range(len(df))])
    return df[["id", "text", "label"]]


#: Videos whose comments form the YouTube training split (the dev set is drawn from them).
YOUTUBE_TRAIN_VIDEOS: tuple[str, ...] = ("Psy", "KatyPerry", "LMFAO", "Eminem")
#: The held-out test video.
YOUTUBE_TEST_VIDEOS: tuple[str, ...] = ("Shakira",)
#: Dev rows drawn from each training video (seeded, half spam and half ham where possible).
YOUTUBE_DEV_PER_VIDEO: int = 30


def load_youtube_spam(data_home: str | os.PathLike | None = None, *, split: str | None = None,
                      random_state: int = 0) -> pd.DataFrame:
    """The UCI YouTube Spam Collection (five files concatenated).

    Columns: ``id`` (the comment id), ``author``, ``date``, ``text`` (HTML entities and the
    trailing U+FEFF removed), ``label`` (1 = spam, 0 = ham), ``video`` (file stem).

    Do not build LFs or features from ``date``: it is empty for every spam row of the
    Eminem file, so it leaks the label.

    Parameters
    ----------
    data_home : path, optional
        Folder holding ``youtube_spam/Youtube0*.csv`` (default: ``DATAQA_DATA_HOME``, else
        ``../shared/data`` beside the repository).
    split : {None, "train", "dev", "test"}
        None: all 1,956 rows. Split by video: "test" is the Shakira video (370 rows);
        "dev" is :data:`YOUTUBE_DEV_PER_VIDEO` rows drawn from each of the four training
        videos (Psy, KatyPerry, LMFAO, Eminem; 15 spam + 15 ham each, seeded by
        ``random_state``: 120 rows); "train" is the rest of those four videos (1,466 rows).
    random_state : int, default 0
        Seed of the dev draw.
    """
    import html

    if split not in (None, "train", "dev", "test"):
        raise InvalidSettingError(f"split={split!r} must be None, 'train', 'dev' or 'test'.")
    try:
        d = _dataset_dir("youtube_spam", data_home)
    except DataLoadError as exc:
        raise DataLoadError(
            f"{exc} Put the five UCI files (Youtube01-Psy.csv, Youtube02-KatyPerry.csv, "
            f"Youtube03-LMFAO.csv, Youtube04-Eminem.csv, Youtube05-Shakira.csv) in "
            f"<data_home>/youtube_spam/."
        ) from None
    files = sorted(d.glob("Youtube0*.csv"))
    if not files:
        raise DataLoadError(
            f"no Youtube0*.csv files in {str(d)!r}; put the five UCI YouTube Spam Collection "
            f"CSVs (Youtube01-Psy.csv ... Youtube05-Shakira.csv) there."
        )
    frames = []
    for f in files:
        df = pd.read_csv(f, quoting=csv.QUOTE_MINIMAL, keep_default_na=False)
        frames.append(pd.DataFrame({
            "id": df["COMMENT_ID"].astype(str),
            "author": df["AUTHOR"].astype(str),
            "date": df["DATE"].astype(str),
            "text": df["CONTENT"].astype(str).map(lambda t: html.unescape(t).replace("\ufeff", "").strip()),
            "label": df["CLASS"].astype(int),
            "video": f.stem.split("-", 1)[1],
        }))
    out = pd.concat(frames, ignore_index=True)
    # a handful of comment ids repeat across videos: keep ids unique and stable
    dup = out["id"].duplicated(keep="first")
    out.loc[dup, "id"] = out.loc[dup, "id"] + "-" + out.loc[dup, "video"]
    if split is None:
        return out
    if split == "test":
        return out[out["video"].isin(YOUTUBE_TEST_VIDEOS)].reset_index(drop=True)
    rng = np.random.default_rng(random_state)
    dev_idx: list[int] = []
    half = YOUTUBE_DEV_PER_VIDEO // 2
    for video in YOUTUBE_TRAIN_VIDEOS:
        for label in (0, 1):
            idx = np.flatnonzero(((out["video"] == video) & (out["label"] == label)).to_numpy())
            dev_idx.extend(rng.choice(idx, size=min(half, len(idx)), replace=False).tolist())
    in_dev = np.zeros(len(out), dtype=bool)
    in_dev[dev_idx] = True
    in_train_videos = out["video"].isin(YOUTUBE_TRAIN_VIDEOS).to_numpy()
    mask = in_dev if split == "dev" else (in_train_videos & ~in_dev)
    return out[mask].reset_index(drop=True)


def load_wrench(name: str, data_home: str | os.PathLike | None = None, *, split: str = "train"
                ) -> tuple[pd.DataFrame, np.ndarray]:
    """A WRENCH weak-supervision split (``name`` in {"youtube", "sms"}).

    ``data_home`` is the folder holding ``wrench_<name>/`` (or that folder itself).

    Returns
    -------
    frame : DataFrame with ``id`` (``<name>-<split>-<key>``), ``text``, ``label``.
    L : int ndarray (n, m) of the benchmark's own LF votes (-1 = abstain).

    Notes
    -----
    In the ``sms`` copy, the stored votes of the ``valid`` and ``test`` splits do not belong
    to their texts: re-applying the 73 published rules (``readme.txt``) reproduces the
    stored ``train`` votes on every row, but the ``valid``/``test`` votes on only about 41%
    of rows (mostly rows where every rule abstains), and there the votes carry almost no
    information about the gold label. Label-model scores on those splits are near chance.
    """
    if name not in ("youtube", "sms"):
        raise InvalidSettingError(f"unknown WRENCH dataset {name!r}; known: 'sms', 'youtube'.")
    if split not in ("train", "valid", "test"):
        raise InvalidSettingError(f"split={split!r} must be 'train', 'valid' or 'test'.")
    path = _dataset_dir(f"wrench_{name}", data_home) / f"{split}.json"
    if not path.is_file():
        raise DataLoadError(f"WRENCH file {str(path)!r} does not exist; the folder should hold "
                            f"train.json, valid.json and test.json.")
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    keys = sorted(raw, key=int)
    frame = pd.DataFrame({
        "id": [f"{name}-{split}-{k}" for k in keys],
        "text": [raw[k]["data"]["text"] for k in keys],
        "label": [int(raw[k]["label"]) for k in keys],
    })
    L = np.array([raw[k]["weak_labels"] for k in keys], dtype=np.int64)
    return frame, L
