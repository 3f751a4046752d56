"""Part 3: the student's IntentCNN on torch.rand input of its INPUT_KIND's shape.

For each grader-chosen (n_intents, batch): the output in eval mode (saved), whether eval mode is
deterministic, the output in train mode, and whether a CrossEntropyLoss backward reaches every
parameter. Reports the declared INPUT_KIND. Nothing touches the parameters before the first
forward: a lazy module (nn.LazyLinear) has none until then.
"""

import _probe_runtime as rt
import torch
from torch import nn
from _italic_support import MODEL_PREFIX, SHAPES, build, first_line, runnable_model


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
    # A misspelt INPUT_KIND (3.1) or a forward that wants (B, 1, ...) (3.2) is charged once: the other
    # checks use the model on the input it runs on, as the training does.
    found, runnable, _ = runnable_model(model_class, [kind] if kind in SHAPES else list(SHAPES))
    if runnable is not None:
        kind = found
        if runnable is not model_class:
            model_class = runnable
            response["channel_axis"] = True
    elif kind not in SHAPES:
        kind = "log_mel"
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
                    # named as in the student's own module (with_channel_axis holds it as .model)
                    students = model.model if response.get("channel_axis") else model
                    trainable = [(name, p) for name, p in students.named_parameters() if p.requires_grad]
                    report["no_gradient"] = [name for name, p in trainable if p.grad is None][:10]
                    report["trainable"] = len(trainable)
        except Exception as error:  # noqa: BLE001
            report["error"] = first_line(error)
        reports.append(report)
        rt.checkpoint(dict(response, settings=reports))
    response["settings"] = reports
    return response


rt.main(probe)
