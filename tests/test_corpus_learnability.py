"""The embedded corpus is learnable by a small CNN but not trivial for one hand-made feature.

A test of the corpus (kit/corpus/), not of code: it asserts on real accuracies and can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from data_helpers import REPO

EMBEDDED_MANIFEST = REPO / "data_manifests" / "embedded.json"
CNN_MIN_TEST_ACCURACY = 0.85
SINGLE_FEATURE_MAX_TEST_ACCURACY = 0.95

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def embedded():
    from kit.data.cache import prepare_dataset

    return prepare_dataset("embedded", progress=False)


@pytest.fixture(scope="session")
def hand_features(embedded):
    """Five classic music/speech features per clip, computed from the audio with librosa."""
    import librosa

    from kit.data.features import fit_length, load_audio

    manifest, params = embedded.manifest, embedded.params
    root = REPO / "data_manifests" / "embedded"
    rows = {}
    for clip in manifest.clips:
        y = fit_length(load_audio(root / clip.path, params.sample_rate), params.n_samples)
        kw = {"n_fft": 2048, "hop_length": 512}
        rms = librosa.feature.rms(y=y, frame_length=2048, hop_length=512)[0]
        flatness = librosa.feature.spectral_flatness(y=y, **kw)[0]
        zcr = librosa.feature.zero_crossing_rate(y, frame_length=2048, hop_length=512)[0]
        centroid = librosa.feature.spectral_centroid(y=y, sr=params.sample_rate, **kw)[0]
        rows[clip.stem] = {
            "rms variation": float(rms.std() / (rms.mean() + 1e-9)),
            "spectral flatness": float(flatness.mean()),
            "zcr std": float(zcr.std()),
            "spectral centroid std": float(centroid.std()),
            "low-energy fraction": float(np.mean(rms < rms.mean())),
        }
    return rows


def _split(embedded, hand_features, split, name):
    clips = embedded.manifest.split(split)
    x = np.array([[hand_features[c.stem][name]] for c in clips])
    y = np.array([embedded.manifest.class_id(c) for c in clips])
    return x, y


def test_no_single_hand_feature_solves_the_task(embedded, hand_features):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scores = {}
    for name in next(iter(hand_features.values())):
        x_train, y_train = _split(embedded, hand_features, "train", name)
        x_test, y_test = _split(embedded, hand_features, "test", name)
        model = make_pipeline(StandardScaler(), LogisticRegression()).fit(x_train, y_train)
        scores[name] = float(model.score(x_test, y_test))
    print("single-feature test accuracy:", {k: round(v, 3) for k, v in scores.items()})
    assert max(scores.values()) < SINGLE_FEATURE_MAX_TEST_ACCURACY, scores


def test_small_cnn_learns_the_corpus(embedded):
    import torch
    from torch import nn

    torch.manual_seed(0)
    torch.set_num_threads(1)  # measured: 2 threads cost 8x the CPU time per epoch on a shared 2-core box
    x_train, y_train = embedded.load_split("train")
    x_val, y_val = embedded.load_split("val")
    x_test, y_test = embedded.load_split("test")
    mean, std = x_train.mean(), x_train.std()

    def tensors(x, y):
        return torch.from_numpy((x - mean) / std).unsqueeze(1), torch.from_numpy(y).float()

    (xt, yt), (xv, yv), (xs, ys) = tensors(x_train, y_train), tensors(x_val, y_val), tensors(x_test, y_test)
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.1),
        nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 1),
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = nn.BCEWithLogitsLoss()
    best, best_state, waited, patience = float("inf"), None, 0, 6
    generator = torch.Generator().manual_seed(0)
    for epoch in range(30):
        model.train()
        for batch in torch.randperm(len(xt), generator=generator).split(32):
            optimiser.zero_grad()
            loss_fn(model(xt[batch]).squeeze(1), yt[batch]).backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            val_loss = loss_fn(model(xv).squeeze(1), yv).item()
        if val_loss < best:
            best, waited = val_loss, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            waited += 1
            if waited >= patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        accuracy = ((model(xs).squeeze(1) > 0).float() == ys).float().mean().item()
    print(f"CNN test accuracy {accuracy:.3f} on {len(ys)} clips (stopped after epoch {epoch + 1})")
    assert accuracy >= CNN_MIN_TEST_ACCURACY
