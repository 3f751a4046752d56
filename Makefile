# The users' verbs. Every target that needs Python depends on .venv, which `make`
# builds on first use from the pinned requirements (torch pinned to the CPU build).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
KIT := $(PY) -m kit

ASSIGNMENT ?= ex02_cnn
DATASET ?= embedded
# A dataset with configurations (the real ITALIC: CONFIG=massive|hard_speaker|hard_noisy; without CONFIG the kit takes the
# importer's first, massive) is one dataset per configuration: DATASET=italic CONFIG=hard_speaker is italic_hard_speaker.
CONFIG ?=
DATASET_ID = $(if $(CONFIG),$(DATASET)_$(CONFIG),$(DATASET))
CACHE_DIR ?=
DATA_DIR ?=
ARCHIVE ?=
SUBMISSIONS ?=
WORKSHEET ?=
GRADE_COLUMN ?=
FEEDBACK_COLUMN ?=
CANVAS_GRADEBOOK ?=
CANVAS_ASSIGNMENT ?=
ADJUSTMENTS ?=
SIMILARITY_BOILERPLATE ?=
JOBS ?= 1
EXECUTOR ?= threads
SLURM_PARTITION ?=
SLURM_CPUS ?= 2
SLURM_MEM_GB ?= 8
SLURM_TIME ?=
SLURM_ACCOUNT ?=
FORCE ?= 0
SEED ?= 0

.PHONY: help setup data grade validate test test-fast bench class calibrate corpus skeletons release clean

help:
	@echo "make grade      grade the example submissions (or SUBMISSIONS=dir-or-LMS-zip [DATASET=gtzan DATA_DIR=...] [JOBS=n] [FORCE=1] [ASSIGNMENT=ex01_features])"
	@echo "                back into the LMS: [WORKSHEET=Grades-....csv [GRADE_COLUMN=... FEEDBACK_COLUMN=...]] [CANVAS_GRADEBOOK=export.csv] [CANVAS_ASSIGNMENT='Name (id)']"
	@echo "                corrections: grades/<assignment>/adjustments.csv (or ADJUSTMENTS=file); SIMILARITY_BOILERPLATE=<course files folder>"
	@echo "                on a cluster: EXECUTOR=slurm [JOBS=jobs queued at once] [SLURM_PARTITION=... SLURM_CPUS=2 SLURM_MEM_GB=8 SLURM_TIME=minutes SLURM_ACCOUNT=...]"
	@echo "make validate   grade the graders: single-change variants of the reference (ASSIGNMENT=... JOBS=n)"
	@echo "make test       run the kit's own tests"
	@echo "make data       verify a dataset and cache its features (DATASET=gtzan DATA_DIR=... for a TA's copy;"
	@echo "                ASSIGNMENT=ex03_intent DATASET=italic CONFIG=massive|hard_speaker|hard_noisy DATA_DIR=... for ITALIC)"
	@echo "make bench      timings, printed as ratios against a baseline measured in the same run"
	@echo "make calibrate  the reference on 5 seeds -> proposed accuracy threshold (DATASET=gtzan DATA_DIR=... [WRITE=1])"
	@echo "make class      a Moodle download + worksheet of N=300 students (examples, variants, hostile code, odd uploads)"
	@echo "make skeletons  regenerate assignments/ from the solutions' BEGIN/END SOLUTION markers"
	@echo "make release    build dist/ student zip, students' data zip and otter autograder zip (ASSIGNMENT=... [DATASET=gtzan DATA_DIR=...])"
	@echo "make corpus     regenerate the embedded corpora: music/speech and the ITALIC stand-in (Debian packages: kit/corpus/README.md)"

setup: $(VENV)/.installed

# torch first from PyTorch's CPU index (PyPI's Linux torch bundles about 4 GB of CUDA libraries);
# where that index is unreachable, the lock's torch comes from PyPI or pip's own find-links.
# The same index as kit/release/pins.py's TORCH_CPU_INDEX (tests/test_release.py checks).
TORCH_CPU_INDEX ?= https://download.pytorch.org/whl/cpu

# The sandbox uses bubblewrap; as root we install it (a non-root user gets the weaker
# fallback, see DEVELOPERS.md "Security"). Debian's chromium is what the kit's tests open
# report.html in (headless); grading does not need it.
$(VENV)/.installed: requirements.lock constraints.txt pyproject.toml
	@mkdir -p build; missing=""; command -v bwrap >/dev/null || missing="bubblewrap"; command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Debian packages:$$missing (bubblewrap: the grading sandbox; chromium: the report test)"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  (apt-get install -y -q $$missing >build/apt.log 2>&1 || (apt-get update -q >build/apt.log 2>&1 && apt-get install -y -q $$missing >>build/apt.log 2>&1)) \
	    && rm -f build/apt.log || echo "WARNING: could not install$$missing (see build/apt.log); without bubblewrap grading runs with the weaker fallback sandbox"; \
	fi
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11, 2) <= sys.version_info[:3] < (3, 13) else 1)' 2>/dev/null || { \
	  echo "The kit needs Python 3.11.2 to 3.12 (Debian 12's /usr/bin/python3 works);" \
	       "$(PYTHON) is $$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo 'not found'). Run: make PYTHON=/path/to/python3.11"; exit 1; }
	@mkdir -p build; started=$$(date +%s); \
	echo "setting up $(VENV) with $$($(PYTHON) --version): pinned packages from requirements.lock, CPU-only torch where reachable (about 1.5 GB; pip's output goes to build/setup.log)"; \
	{ (test -x $(PY) || $(PYTHON) -m venv $(VENV)) && \
	  $(PY) -m pip install --upgrade pip && \
	  { $(PY) -m pip install --no-deps --retries 1 --timeout 30 --index-url $(TORCH_CPU_INDEX) -c constraints.txt torch \
	    || echo "(no torch from PyTorch's CPU index, see above: the lock's torch comes from PyPI)"; } && \
	  $(PY) -m pip install -c constraints.txt -r requirements.lock && \
	  $(PY) -m pip install -c constraints.txt --no-deps -e . ; } > build/setup.log 2>&1 || { \
	  echo "set-up failed; the last lines of build/setup.log:"; grep -v "^WARNING: Location" build/setup.log | tail -15; exit 1; }; \
	echo "installed $$($(PY) -m pip list --format=freeze 2>/dev/null | wc -l) packages in $$(( $$(date +%s) - started )) s (torch $$($(PY) -c 'import torch; print(torch.__version__, "(CPU build)" if torch.version.cuda is None else "(PyPI build with CUDA libraries: about 4 GB more; grading runs on the CPU all the same)")'))"
	@$(PY) -m kit.sandbox.numba_cache
	@touch $@

data: setup
	$(KIT) data --assignment $(ASSIGNMENT) --dataset $(DATASET_ID) $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
	  $(if $(ARCHIVE),--archive "$(ARCHIVE)") $(if $(CACHE_DIR),--cache-dir "$(CACHE_DIR)")

# Only the options a TA set (and the executor's when it is not the default), so that the one
# line `make grade` prints reads like the command it runs.
GRADE_ARGS = --assignment $(ASSIGNMENT) --dataset $(DATASET_ID) --jobs $(JOBS) \
	$(if $(SUBMISSIONS),--submissions "$(SUBMISSIONS)") $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
	$(if $(filter 1 yes true,$(FORCE)),--force) \
	$(if $(WORKSHEET),--worksheet "$(WORKSHEET)") $(if $(GRADE_COLUMN),--grade-column "$(GRADE_COLUMN)") \
	$(if $(FEEDBACK_COLUMN),--feedback-column "$(FEEDBACK_COLUMN)") \
	$(if $(CANVAS_GRADEBOOK),--canvas-gradebook "$(CANVAS_GRADEBOOK)") \
	$(if $(CANVAS_ASSIGNMENT),--canvas-assignment "$(CANVAS_ASSIGNMENT)") \
	$(if $(ADJUSTMENTS),--adjustments "$(ADJUSTMENTS)") \
	$(if $(SIMILARITY_BOILERPLATE),--similarity-boilerplate "$(SIMILARITY_BOILERPLATE)") \
	$(if $(filter-out threads,$(EXECUTOR)),--executor $(EXECUTOR) --slurm-cpus $(SLURM_CPUS) --slurm-mem-gb $(SLURM_MEM_GB)) \
	$(if $(SLURM_PARTITION),--slurm-partition "$(SLURM_PARTITION)") $(if $(SLURM_TIME),--slurm-time $(SLURM_TIME)) \
	$(if $(SLURM_ACCOUNT),--slurm-account "$(SLURM_ACCOUNT)")

grade: setup
	@echo '$(KIT) grade $(strip $(GRADE_ARGS))'
	@$(KIT) grade $(strip $(GRADE_ARGS))

validate: setup
	$(KIT) validate --assignment $(ASSIGNMENT) --jobs $(JOBS)

# pytest-xdist: one worker per core (at most 4), a module's tests in one worker (tests/conftest.py).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n < 4 ? n : 4 )))
# -rs: a skipped test says why (the Slurm tests need root and apt).
PYTEST := $(PY) -m pytest -q -rs -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup
	$(PYTEST)

test-fast: setup
	$(PYTEST) -m "not slow and not otter"

bench: setup
	$(PY) -m kit bench --assignment $(ASSIGNMENT)

WRITE ?= 0
calibrate: setup
	$(KIT) calibrate --assignment $(ASSIGNMENT) --dataset $(DATASET_ID) $(if $(DATA_DIR),--data-dir "$(DATA_DIR)") \
	  $(if $(filter 1 yes true,$(WRITE)),--write)

N ?= 300
class: setup
	$(KIT) class --assignment $(ASSIGNMENT) --n $(N) --seed $(SEED)

# Debian packages the corpus generator reads (kit/corpus/README.md); installed when root.
CORPUS_DEBS := espeak-ng flite festival festvox-kallpc16k festvox-us-slt-hts ktuberling-data \
  klettres-data pocketsphinx-testdata hyperrogue-music wesnoth-1.16-music openttd-openmsx fluid-soundfont-gm \
  festvox-italp16k festvox-itapc16k

corpus: setup
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing the Debian packages for the corpus"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q $(CORPUS_DEBS) >/dev/null 2>&1 \
	    || (apt-get update -q >/dev/null && apt-get install -y -q $(CORPUS_DEBS) >/dev/null); \
	fi
	$(PY) -m pip install -q -c constraints.txt --no-deps -r kit/corpus/requirements.txt
	$(PY) -m kit.corpus.build --seed $(SEED)
	$(PY) -m kit.corpus.italic --seed $(SEED)

skeletons: setup
	$(KIT) skeletons

release: setup
	$(KIT) release --assignment $(ASSIGNMENT) --dataset $(DATASET_ID) $(if $(DATA_DIR),--data-dir "$(DATA_DIR)")

clean:
	rm -rf build dist
