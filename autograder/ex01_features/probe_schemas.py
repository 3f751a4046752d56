"""What each ex01 probe answers, as pydantic schemas (trusted side).

A response that does not match is a ``ProbeSchemaError``, reported as the grader's own
problem, never as the student's mistake. Values that come from student code are typed
loosely here and judged by the tests.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Response(_Part):
    arrays: list[str] = []
    incomplete: bool = False


class Failure(_Part):
    type: str
    message: str
    where: str = ""


class FileReport(_Part):
    path: str
    sr_argument: int | None = None
    missing: str | None = None
    failure: Failure | None = None
    returned: str | None = None
    sr: Any = None
    length: int | None = None
    audio_type: str | None = None
    sr_type: str | None = None
    audio_dtype: str | None = None
    array: str | None = None
    array_behind: str | None = None  # the array a returned single sample was taken from (audio[0])


class SignalReport(_Part):
    name: str
    missing: str | None = None
    failure: Failure | None = None
    returned: str | None = None
    array: str | None = None


class AudioFeaturesResponse(_Response):
    files: list[FileReport]
    signals: list[SignalReport]


class WrittenFile(_Part):
    path: str
    size: int
    array: str | None = None


class ReadBack(_Part):
    array: str
    label: Any = None


class SerializeReport(_Part):
    missing: str | None = None
    failure: Failure | None = None
    files: list[WrittenFile] = []
    read_back: ReadBack | None = None  # the student's reader on the file written, whatever its format


class ReadReport(_Part):
    missing: str | None = None
    failure: Failure | None = None
    returned: str | None = None
    label: Any = None
    label_type: str | None = None
    features_type: str | None = None
    array: str | None = None


class NestedReport(_Part):
    exists: bool | None = None
    folder_made: bool | None = None
    folder_files: list[str] = []
    failure: Failure | None = None


class PickledReport(_Part):
    accepted: bool
    returned: str | None = None
    error: str | None = None


class SerializationResponse(_Response):
    serialize: SerializeReport
    read: ReadReport
    nested: NestedReport | None = None
    pickled: PickledReport | None = None


class ScriptReport(_Part):
    file: str
    exit_code: int
    failure: Failure | None = None
    called_with: list[list[str]] = []
    argv: list[str] = []
    stderr: str = ""
    n_files: int = 0


class ReadBack(_Part):
    features: str
    label: float


class DatasetResponse(_Response):
    replaced: list[str] = []
    failure: Failure | None = None
    returned: Any = None
    files: list[WrittenFile] = []
    n_files: int = 0
    own: list[str | None] = []
    read_back: dict[str, ReadBack] = {}
    script: ScriptReport | None = None
