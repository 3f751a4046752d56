"""Part 3: the student's IntentCNN on torch.rand input of its INPUT_KIND's shape.

For each grader-chosen (n_intents, batch): the output in eval mode (saved), whether eval mode is
deterministic, the output in train mode, and whether a CrossEntropyLoss backward reaches every
parameter. Reports the declared INPUT_KIND. Nothing touches the parameters before the first
forward: a lazy module (nn.LazyLinear) has none until then.
"""

import _probe_runtime as rt
import torch
from torch import nn
from _italic_support import MODEL_PREFIX, SHAPES, build, first_line, with_channel_axis


def _runs(model_class, kind):
    try:
        model = build(model_class, 10)
        model.eval()
        with torch.no_grad():
            return tuple(model(torch.rand(2, *SHAPES[kind])).shape) == (2, 10)
    except Exception:  # noqa: BLE001
        return False


def probe(request):
    module = rt.import_student(MODEL_PREFIX)
    kind = getattr(module, "INPUT_KIND", None)
    response = {"kind": kind if isinstance(kind, str) else repr(kind)[:80], "has_class": hasattr(module, "IntentCNN")}
    if not response["has_class"]:
        return response
    try:
        build(module.IntentCNN, 10)
    except Exception as error:  # noqa: BLE001
        response["build_error"] = first_line(error)
        return response
    model_class = module.IntentCNN
    if kind not in SHAPES:  # judged by 3.1 alone: the other checks use the input the model runs on
        kind = next((k for k in SHAPES if _runs(model_class, k)), "log_mel")
    if not _runs(model_class, kind) and _runs(with_channel_axis(model_class), kind):
        # forward wants (B, 1, ...): judged by 3.2 alone, the other checks feed it that
        model_class = with_channel_axis(model_class)
        response["channel_axis"] = True
    response["used_kind"] = kind
    reports = []
    for index, setting in enumerate(request["settings"]):
        n, batch = setting["n_intents"], setting["batch"]
        report = {"n_intents": n, "batch": batch}
        try:
            torch.manual_seed(setting["seed"])
            model = build(model_class, n)
            x = torch.rand(batch, *SHAPES[kind], generator=torch.Generator().manual_seed(setting["seed"]))
            model.eval()
            with torch.no_grad():
                out = model(x)
                again = model(x)
            if not isinstance(out, torch.Tensor):
                report["error"] = f"forward returned a {type(out).__name__}, not a tensor"
            else:
                report["shape"] = list(out.shape)
                report["dtype"] = str(out.dtype).replace("torch.", "")
                rt.save_array(f"eval_{index}", out.detach().double().numpy())
                report["deterministic"] = bool(torch.equal(out, again))
                model.train()
                out = model(x)
                if out.ndim == 2 and out.shape == (batch, n):
                    loss = nn.functional.cross_entropy(out, torch.arange(batch) % n)
                    loss.backward()
                    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
                    # the student's own names, without with_channel_axis's "model." in front
                    report["no_gradient"] = [name.removeprefix("model.") if response.get("channel_axis") else name
                                             for name, p in trainable if p.grad is None][:10]
                    report["trainable"] = len(trainable)
        except Exception as error:  # noqa: BLE001
            report["error"] = first_line(error)
        reports.append(report)
        rt.checkpoint(dict(response, settings=reports))
    response["settings"] = reports
    return response


rt.main(probe)
