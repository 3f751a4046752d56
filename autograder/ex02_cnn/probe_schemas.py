"""What each ex02 probe answers, as pydantic schemas (trusted side).

A response that does not match is a ``ProbeSchemaError``: the plugin reports it as the
grader's own problem (a probe and its grader disagree, or the response was forged), never
as the student's mistake. Values that come from student code (a returned best_epoch, a
history's contents) are typed loosely here and judged by the tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")
    arrays: list[str] = []
    incomplete: bool = False


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Failure(_Part):
    type: str
    message: str
    where: str = ""


class Formula(_Part):
    values: list[int | float | None] = []
    types: list[str] = []
    failures: dict[str, Failure] = {}
    missing: str | None = None


class Op(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str
    op: str


class Setting(_Part):
    kwargs: dict[str, Any]
    ran: bool
    ran_as_written: bool = False
    channel_axis_added: bool = False
    defaults_filled: list[str] = []
    repaired: list[str] = []
    failures: dict[str, Failure] = {}
    ops: list[Op] = []
    shape_3d: list[int] | None = None
    finite_3d: bool | None = None
    unused_with_params: list[str] = []
    unused_without_params: list[str] = []
    no_grad: list[str] = []
    zero_grad: list[str] = []
    eval_range: list[float] | None = None
    eval_spread: float | None = None
    eval_passes_differ: bool | None = None
    shape_4d: list[int] | None = None
    same_4d: bool | None = None
    shape_batch_one: list[int] | None = None
    other_dims: dict[str, Failure | None] | None = None
    train_passes_differ: bool | None = None


class ModelResponse(_Response):
    formula: Formula | None = None
    formula_substituted: bool | None = None
    model_missing: str | None = None
    settings: list[Setting] | None = None


class TrainingCase(_Part):
    failure: Failure | None = None
    not_applicable: str | None = None
    missing_parameter: str | None = None
    ran_away: bool = False
    takes_lr: bool | None = None
    history_type: str | None = None
    train_passes: int = 0
    val_passes: int = 0
    restored_epoch: float | None = None
    val_modes: list[list[bool]] = []
    train_modes: list[list[bool]] = []
    optimizers: list[dict[str, Any]] = []
    backward_passes: int = 0
    accumulated: bool = False
    history: dict[str, Any] | None = None
    element_types: dict[str, list[str]] = {}
    value_types: dict[str, str] = {}


class TrainingResponse(_Response):
    cases: dict[str, TrainingCase] = {}
    probabilities: Failure | None = None  # train()'s loss needed outputs in (0, 1): the failure that showed it


class Returned(_Part):
    type: str
    value: float | None


class TestingCase(_Part):
    failure: Failure | None = None
    returned: Returned | None = None
    modes: list[list[bool]] = []


class TestingResponse(_Response):
    cases: dict[str, TestingCase] = {}
    cases_probabilities: dict[str, TestingCase] = {}


class AccuracyResponse(_Response):
    heldout_names: list[str]
    stand_in: str | None = None
    model_adapted: str | None = None
    formula_substituted: bool = False
    stop_epoch: int | None = None
    best_epoch: int | None = None
    train_losses: list[float] = []
    val_losses: list[float] = []
    stopped_after: int | None = None  # epochs after which a runaway train() was stopped


class MainResponse(_Response):
    model_file: str
    dataset_file: str | None = None
    training_file: str
    data: str
    stand_in: str | None = None
    model_adapted: str | None = None
    formula_substituted: bool = False
    failure: Failure | None = None
    exit_code: int
    stdout: str
    stderr: str
    dataset_substituted: str | None = None
    stopped_after: int | None = None  # passes over its loaders, when the grader stopped a script still running
    data_argument: str | None = None  # the data folder as given on the command line (relative)
    training_passes: int | None = None  # passes over shuffling loaders (the training data)
    max_epochs_handed: list[int | None] = []  # max_epochs of each call of the script's train()


class Item(_Part):
    index: int
    failure: Failure | None = None
    item_type: str | None = None
    item_length: int | None = None
    features_type: str | None = None
    features_dtype: str | None = None
    features_shape: list[int] | None = None
    features_array: str | None = None
    features_failure: Failure | None = None
    label_type: str | None = None
    label_dtype: str | None = None
    label_shape: list[int] | None = None
    label_value: float | None = None


class DatasetSeen(_Part):
    failure: Failure | None = None
    type: str | None = None
    length: int | None = None
    length_failure: Failure | None = None
    items: list[Item] = []


class Batch(_Part):
    x_shape: list[int]
    x_dtype: str
    y_shape: list[int]
    y_dtype: str
    row_means: list[float]
    row_peaks: list[list[int]] = []
    labels: list[float]


class LoaderSeen(_Part):
    type: str
    passes: list[list[Batch]] = []
    failure: Failure | None = None


class LoadersSeen(_Part):
    batch_size_passed: bool = True
    failure: Failure | None = None
    returned_type: str | None = None
    count: int | None = None
    loaders: list[LoaderSeen] = []


class StraySeen(_Part):
    length: int | None = None
    failure: Failure | None = None


class DatasetResponse(_Response):
    direct: dict[str, DatasetSeen] = {}
    stray: StraySeen | None = None  # MyDataset over a split folder that also holds non-clip files
    loaders: LoadersSeen | None = None
    items_from: str = "direct"
    from_loaders: dict[str, DatasetSeen] = {}
