"""What each release zip may contain, per assignment, as data.

The student zip is built from what is in ``assignments/<id>/``: every file there must match
one of the assignment's ``allowed`` patterns (else the build stops: a new file needs a
decision, it is not shipped by accident) and every ``required`` file must exist. The same
table is what ``tests/test_release.py`` checks a built zip against.

Patterns are ``fnmatch`` patterns on the POSIX path relative to ``assignments/<id>/``
(``*`` also crosses ``/``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

# Never shipped to students, whatever the patterns say (checked by name and content).
FORBIDDEN_PATTERNS = ("*solution*", "*expected.json", "autograder/*", "*.pyc", "*__pycache__*")
FORBIDDEN_TEXT = ("BEGIN SOLUTION", "END SOLUTION")
# Folders and files in assignments/<id>/ that are build by-products, not content.
IGNORED_PATTERNS = ("__pycache__/*", "*/__pycache__/*", "*.pyc", ".pytest_cache/*", ".ipynb_checkpoints/*", "*/.ipynb_checkpoints/*", ".DS_Store")


@dataclass(frozen=True)
class StudentContents:
    required: tuple[str, ...]
    allowed: tuple[str, ...]
    # Packages the handout's code needs, pinned from requirements.lock into requirements.txt
    # when assignments/<id>/ has no requirements.txt of its own.
    requirements: tuple[str, ...]
    # Written by the release itself: the pinned requirements and the train/val manifest.
    generated: tuple[str, ...] = field(default=("requirements.txt", "data_manifests/*.json"))

    def is_allowed(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.allowed)

    def is_generated(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, pattern) for pattern in self.generated)


_EX02_REQUIREMENTS = ("torch", "numpy", "librosa", "soundfile", "matplotlib", "scikit-learn", "tqdm", "pytest")

STUDENT: dict[str, StudentContents] = {
    "ex02_cnn": StudentContents(
        required=(
            "README.md",
            "my_cnn_system_student.py",
            "training_student.py",
            "music_speech_data.py",
        ),
        allowed=(
            "README.md",
            "requirements.txt",  # the handout's (else one is generated from the lock)
            "*_student.py",  # generated skeletons
            "music_speech_data.py",  # helper module: loaders over the feature folders
            "self_check*.py",  # public self-checks
            "check_*.py",
            "tests/*.py",
            "tests/*.json",
            "figures/*.png",
            "figures/*.svg",
        ),
        requirements=_EX02_REQUIREMENTS,
    ),
    "ex01_features": StudentContents(
        required=("README.md",),
        allowed=(
            "README.md",
            "requirements.txt",
            "*_student.py",
            "*.py",
            "tests/*.py",
            "tests/*.json",
            "figures/*.png",
            "figures/*.svg",
        ),
        requirements=("numpy", "librosa", "soundfile", "matplotlib", "scipy", "pytest"),
    ),
}


def student_contents(assignment: str) -> StudentContents:
    try:
        return STUDENT[assignment]
    except KeyError:
        raise KeyError(
            f"no student allow-list for {assignment!r}: add one to kit/release/contents.py"
        ) from None


def is_ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in IGNORED_PATTERNS)


def is_forbidden(name: str) -> bool:
    return any(fnmatch.fnmatch(name.lower(), pattern) for pattern in FORBIDDEN_PATTERNS)


# The autograder zip: top-level folders of the kit payload, besides otter's own files.
# {assignment} and {dataset} are filled in. Everything else in the zip is otter's.
AUTOGRADER_PAYLOAD = (
    "kit/",  # the kit package (engine, sandbox, plugin)
    "autograder/{assignment}/",  # hidden graders and config.toml
    "autograder/pytest.ini",  # how the graders are run (files directly in autograder/)
    "autograder/conftest.py",
    "assignments/{assignment}/",  # helper modules the graders hand to the sandbox
    "data_manifests/",  # the dataset's full manifest (test split included)
    "features/",  # the feature cache: held-out features with labels (if the graders use them)
    "data_manifests/embedded/",  # audio some graders read (AUTOGRADER_DATA)
)
# Repository files the hidden graders read besides the features, per assignment (folders end
# in "/"). ex01's graders take real clips from the embedded corpus (config.toml, settings).
AUTOGRADER_DATA: dict[str, tuple[str, ...]] = {
    "ex02_cnn": (),
    "ex01_features": ("data_manifests/embedded/", "data_manifests/embedded.json"),
}
# Never inside the autograder zip either.
# Grader-validity variants quote the reference solution and only `make validate` reads them.
AUTOGRADER_FORBIDDEN = ("solutions/*", "autograder/examples/*", "autograder/*/variants/*", "*.pyc", "*__pycache__*",
                        ".venv/*", "tests/test_*")


def autograder_forbidden(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in AUTOGRADER_FORBIDDEN)
