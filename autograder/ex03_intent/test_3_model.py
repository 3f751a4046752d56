"""3. The model: IntentCNN on torch.rand input of its INPUT_KIND's shape.

Settings (n_intents, batch): (10, 3) and (10, 1) for the handout's number of intents and a batch
of one, (3, 2) and (60, 4) for other numbers of intents (ITALIC has 60). A model that does not run
at all is charged by 3.1 and 3.2 only: the later checks judge the settings that ran.
"""

import numpy as np
import pytest
from conftest import SHAPES

from kit.grader import fail, note, require

HANDOUT_SETTINGS, OTHER_SETTINGS = (0, 1), (2, 3)


@pytest.fixture(scope="module")
def model(model_probe):
    return require(model_probe, "building IntentCNN and running forward", partial=True), model_probe.arrays


def _settings(model):
    response, _ = model
    return response.get("settings") or []


def _first_error(model):
    """Why the model gave no output at all (then every check of it fails, saying so)."""
    response, _ = model
    if not response.get("has_class"):
        return "there is no IntentCNN (see 3.1)"
    if "build_error" in response:
        return f"IntentCNN(n_intents=10) raised {response['build_error']} (see 3.1)"
    errors = [s["error"] for s in _settings(model) if "error" in s]
    return f"IntentCNN could not run: {errors[0]}" if errors else "IntentCNN gave no output (see 3.2)"


def _ran(model, indices):
    settings = _settings(model)
    return [(i, settings[i]) for i in indices if i < len(settings) and "shape" in settings[i]]


@pytest.mark.points(2)
@pytest.mark.handout("`INPUT_KIND` is `\"waveform\"` or `\"log_mel\"`, and `IntentCNN(n_intents)` builds a model")
@pytest.mark.number("3.1")
def test_input_kind_and_class(model):
    """INPUT_KIND says the model's input, and IntentCNN exists"""
    response, _ = model
    if response.get("kind") not in SHAPES:
        fail(f"INPUT_KIND is {response.get('kind')}; it must be \"waveform\" (a 1-D CNN on (B, 64000) audio) or "
             "\"log_mel\" (a 2-D CNN on (B, 251, 40) log-mels)")
    if not response.get("has_class"):
        fail("the model file has no class IntentCNN (the graders build IntentCNN(n_intents=...))")
    if "build_error" in response:
        fail(f"IntentCNN(n_intents=10) raised {response['build_error']}")


@pytest.mark.points(3)
@pytest.mark.handout("`forward` on a float32 batch of the kind's shape, a batch of one included, returns (B, n_intents) logits")
@pytest.mark.number("3.2")
def test_forward_shape(model, request):
    """Forward on torch.rand input gives (B, n_intents)"""
    response, _ = model
    settings = _settings(model)
    if not response.get("has_class"):
        fail("there is no IntentCNN (see 3.1)")
    if "build_error" in response:
        fail(f"IntentCNN(n_intents=10) raised {response['build_error']} (see 3.1)")
    shape = SHAPES[response.get("used_kind", "log_mel")]
    if response.get("channel_axis"):
        dims = ", ".join(map(str, shape))
        fail(f"IntentCNN(n_intents=10) fails on torch.rand(3, {dims}) and runs only on input with a channel axis, "
             f"(3, 1, {dims}): forward must take (B, {dims}) batches, as the handout's loaders give them, and add the "
             "channel axis itself (x.unsqueeze(1)). The other checks and the held-out training use your model with "
             "that axis added for it")
    for index in HANDOUT_SETTINGS:
        s = settings[index] if index < len(settings) else {"error": "not reached (time limit)"}
        call = f"IntentCNN(n_intents={s.get('n_intents', 10)}) on torch.rand({s.get('batch', '?')}, {', '.join(map(str, shape))})"
        if "error" in s:
            fail(f"{call} failed: {s['error']}")
        want = [s["batch"], s["n_intents"]]
        if s.get("shape") != want:
            fail(f"{call} returned shape {tuple(s.get('shape') or ())}; expected {tuple(want)}"
                 + (" (a squeeze() drops the batch dimension of a batch of one)" if s["batch"] == 1 else ""))
        if s.get("dtype") != "float32":
            fail(f"{call} returned {s.get('dtype')} values; expected float32 logits")


@pytest.mark.points(2)
@pytest.mark.handout("`IntentCNN(n_intents)` works for any number of intents (3, 60: ITALIC has 60)")
@pytest.mark.number("3.3")
def test_other_numbers_of_intents(model, request):
    """IntentCNN(n_intents) gives n_intents logits for 3 and 60 intents"""
    settings = _settings(model)
    if not _ran(model, HANDOUT_SETTINGS):
        fail(_first_error(model))
    for index in OTHER_SETTINGS:
        s = settings[index] if index < len(settings) else {"error": "not reached (time limit)", "n_intents": "?"}
        if "error" in s:
            fail(f"IntentCNN(n_intents={s['n_intents']}) failed: {s['error']}")
        if s.get("shape") != [s["batch"], s["n_intents"]]:
            fail(f"IntentCNN(n_intents={s['n_intents']}) gave outputs of shape {tuple(s.get('shape') or ())} for a batch "
                 f"of {s['batch']}; expected ({s['batch']}, {s['n_intents']}): size the last layer from n_intents")


@pytest.mark.points(2)
@pytest.mark.handout("`forward` returns logits, not probabilities: no softmax or sigmoid at the end (CrossEntropyLoss applies log-softmax itself; a log-softmax at the end is fine)")
@pytest.mark.number("3.4")
def test_logits_not_probabilities(model, request):
    """forward returns logits, not probabilities"""
    _, arrays = model
    ran = [(i, s) for i, s in _ran(model, HANDOUT_SETTINGS + OTHER_SETTINGS) if f"eval_{i}" in arrays]
    if not ran:
        fail(_first_error(model))
    outputs = [np.asarray(arrays[f"eval_{i}"], dtype=np.float64) for i, s in ran if s.get("shape") == [s["batch"], s["n_intents"]]]
    if not outputs:
        note(request, "not judged: no output had the shape (B, n_intents) (see 3.2 and 3.3)")
        return
    values = np.concatenate([o.ravel() for o in outputs])
    if all(np.allclose(o.sum(axis=1), 1.0, atol=1e-4) and o.min() >= 0 for o in outputs):
        fail("every row of forward's output sums to 1: that is a softmax. Return the logits; nn.CrossEntropyLoss "
             "applies log-softmax itself, and a softmax before it squashes the gradients")
    if values.min() >= 0 and values.max() <= 1:
        fail("all of forward's outputs lie in [0, 1]: probabilities (a sigmoid?). Return the logits, unbounded")


@pytest.mark.points(2)
@pytest.mark.handout("in `eval()` mode the model is deterministic (dropout off), and a CrossEntropyLoss backward reaches every parameter")
@pytest.mark.number("3.5")
def test_eval_mode_and_gradients(model, request):
    """eval() mode is deterministic and every parameter gets a gradient"""
    ran = _ran(model, HANDOUT_SETTINGS + OTHER_SETTINGS)
    if not ran:
        fail(_first_error(model))
    for _, s in ran:
        if s.get("deterministic") is False:
            fail(f"IntentCNN(n_intents={s['n_intents']}) in eval() mode gave different outputs for the same input "
                 "twice: dropout (or other randomness) stays on in eval mode; use nn.Dropout, or F.dropout(x, "
                 "training=self.training)")
        if s.get("no_gradient"):
            fail(f"after a CrossEntropyLoss backward, these parameters have no gradient: {', '.join(s['no_gradient'])} "
                 "(a layer that forward never uses, or a tensor detached from the graph)")
