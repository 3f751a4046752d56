"""The sandbox keeps its promises: limits, isolation, capped output, data-only results.

Every promise holds both for a one-shot run (``run_probe``: a new sandbox and Python per probe)
and for a probe forked by a submission's probe server (``ProbeWorker``): the ``run`` fixture
runs each test both ways.
"""

import os
import textwrap
from pathlib import Path

import numpy as np
import pytest

from kit.grading.config import REPO
from kit.sandbox import isolation
from kit.sandbox.runner import Limits, run_probe
from kit.sandbox.worker import ProbeWorker

needs_bwrap = pytest.mark.skipif(not isolation.detect().hides_files, reason="bubblewrap is not available here")
CEILING = Limits(memory_mb=3072)


@pytest.fixture(scope="module")
def worker():
    with ProbeWorker(CEILING, ["numpy"]) as server:
        yield server


@pytest.fixture(params=["one-shot", "forked"])
def run(request):
    """``run(probe, **arguments)`` one way or the other; a broken server fails the test."""
    if request.param == "one-shot":
        return run_probe
    server = request.getfixturevalue("worker")

    def forked(probe, **arguments):
        assert server.accepts(arguments.get("limits", Limits())), "the server refuses these limits"
        return server.run(probe, **arguments)

    return forked


def _probe(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "probe.py"
    path.write_text("import _probe_runtime as rt\n\ndef probe(request):\n"
                    + textwrap.indent(textwrap.dedent(body), "    ") + "\n\nrt.main(probe)\n")
    return path


def test_returns_json_and_arrays(tmp_path, run):
    probe = _probe(tmp_path, """
        import numpy as np
        rt.save_array("values", np.arange(4))
        return {"echo": request["x"], "student": rt.import_student("hello_").answer(), "root": rt.ROOT}
    """)
    student = tmp_path / "hello_ada.py"
    student.write_text("def answer():\n    print('hi from student')\n    return 42\n")
    result = run(probe, files={"hello_ada.py": student}, request={"x": [1, 2]})
    assert result.status == "ok", result.describe()
    assert result.response["echo"] == [1, 2] and result.response["student"] == 42
    np.testing.assert_array_equal(result.arrays["values"], np.arange(4))
    assert "hi from student" in result.stdout
    if isolation.detect().hides_files:  # tracebacks in feedback name /sandbox/<file>, whichever way it ran
        assert result.response["root"] == isolation.SANDBOX_ROOT


def test_wall_clock_limit_kills_an_endless_loop(tmp_path, run):
    probe = _probe(tmp_path, "while True:\n    pass")
    result = run(probe, files={}, limits=Limits(wall_seconds=2))
    assert result.status == "timeout"
    assert "did not finish within 2 s" in result.describe()


def test_memory_limit(tmp_path, run):
    probe = _probe(tmp_path, "blocks = [bytearray(100 << 20) for _ in range(100)]\nreturn {}")
    result = run(probe, files={}, limits=Limits(memory_mb=1024))
    assert result.status == "memory", (result.status, result.stderr[-500:])


def test_address_space_a_library_reserves_is_not_memory(tmp_path, run):
    """PyPI's CUDA torch reserves 3.2 GB of address space at import and uses 0.8 GB: a probe
    that reserves more address space than ``memory_mb`` without writing to it still runs."""
    probe = _probe(tmp_path, """
        import mmap
        reserved = mmap.mmap(-1, 3500 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, prot=mmap.PROT_READ)
        used = bytearray(200 << 20)
        return {"reserved": len(reserved)}
    """)
    result = run(probe, files={}, limits=Limits(memory_mb=1024))
    assert result.status == "ok", (result.status, result.stderr[-500:])


def test_shared_memory_is_capped_by_the_address_space_backstop(tmp_path, run):
    """RLIMIT_DATA does not count shared mappings; the address-space limit still stops them."""
    probe = _probe(tmp_path, """
        import mmap
        try:
            mmap.mmap(-1, (1024 + 4096 + 512) << 20)
        except OSError:
            return {"refused": True}
        return {"refused": False}
    """)
    result = run(probe, files={}, limits=Limits(memory_mb=1024))
    assert result.response.get("refused") is True, (result.status, result.stderr[-500:])


def test_dataloader_workers_run_in_the_sandbox(tmp_path, run):
    """The course template's loaders use worker processes (num_workers=1); their semaphores and
    shared tensors live in /dev/shm, which must be writable for the sandbox's user."""
    probe = _probe(tmp_path, """
        import torch
        data = torch.utils.data.TensorDataset(torch.arange(20.0).reshape(20, 1), torch.arange(20))
        loader = torch.utils.data.DataLoader(data, batch_size=4, shuffle=False, num_workers=2,
                                             persistent_workers=True, pin_memory=True)
        return {"labels": [int(v) for _ in range(2) for x, y in loader for v in y]}
    """)
    result = run(probe, files={})
    assert result.status == "ok", (result.status, result.stderr[-1500:])
    assert result.response["labels"] == list(range(20)) * 2


@needs_bwrap
def test_shared_memory_is_private_capped_and_emptied_for_the_next_probe(tmp_path, worker):
    fill = _probe(tmp_path, """
        import os
        already = sorted(os.listdir("/dev/shm"))
        written = 0
        try:
            with open("/dev/shm/planted", "wb") as handle:
                for _ in range(400):
                    handle.write(b"x" * (1 << 20))
                    handle.flush()
                    written += 1
        except OSError as error:
            return {"already": already, "written_mb": written, "error": error.errno}
        return {"already": already, "written_mb": written, "error": None}
    """)
    first = worker.run(fill, files={}).response
    assert first["already"] == [], "the sandbox's /dev/shm is not its own"
    assert first["error"] is not None and first["written_mb"] <= CEILING.shm_mb, first
    second = worker.run(fill, files={}).response
    assert second["already"] == [], "what a probe left in /dev/shm reached the next probe"


def test_shared_memory_is_part_of_the_memory_limit():
    limits = Limits(memory_mb=1024, shm_mb=256)
    assert limits.rlimits()["RLIMIT_DATA"] == (1024 - 256) << 20
    with pytest.raises(ValueError, match="shm_mb"):
        Limits(memory_mb=256, shm_mb=256)


def test_output_is_capped(tmp_path, run):
    probe = _probe(tmp_path, "import sys\nfor _ in range(20000):\n    sys.stdout.write('x' * 100)\nreturn {}")
    result = run(probe, files={}, limits=Limits(output_kb=4))
    assert result.status == "ok"
    assert len(result.stdout) < 5000 and "more bytes of output not kept" in result.stdout


def test_pickled_arrays_are_refused(tmp_path, run):
    """A student writing an object array (a pickle) into the results gets nothing unpickled."""
    probe = _probe(tmp_path, """
        import numpy as np, os
        np.save(os.path.join(rt.OUT, "evil.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
        rt._arrays.append("evil")
        return {}
    """)
    assert run(probe, files={}).status == "bad_response"


def test_exit_without_response_is_a_failure(tmp_path, run):
    probe = _probe(tmp_path, "import os\nos._exit(0)")
    result = run(probe, files={})
    assert result.status == "no_response" and not result.ok


@needs_bwrap
def test_student_code_cannot_see_the_grader_or_the_labels(tmp_path, run):
    secret = tmp_path / "heldout_labels.json"
    secret.write_text("{}")
    secrets = [secret, REPO / "autograder" / "ex02_cnn" / "config.toml", REPO / "autograder" / "pytest.ini",
               REPO / "data_manifests" / "gtzan_music_speech.json", REPO / "kit" / "grading" / "config.py",
               REPO / "README.md", Path("/etc/passwd")]
    probe = _probe(tmp_path, """
        import os
        seen = {}
        for path in request["paths"]:
            try:
                seen[path] = open(path).read(10)
            except OSError as error:
                seen[path] = type(error).__name__
        return {"seen": seen, "uid": os.getuid(), "root": sorted(os.listdir("/"))}
    """)
    result = run(probe, files={}, request={"paths": [str(p) for p in secrets]})
    assert result.status == "ok", result.describe()
    for path, seen in result.response["seen"].items():
        assert seen in {"FileNotFoundError", "PermissionError"}, f"sandbox could read {path}"
    assert set(result.response["root"]) <= {"bin", "boxes", "dev", "lib", "lib64", "proc", "sandbox", "tmp", "usr",
                                            *(p.parts[1] for p in isolation._python_mounts())}
    if os.geteuid() == 0:
        assert result.response["uid"] in isolation.SANDBOX_UIDS  # a user of its own, not root


@needs_bwrap
def test_no_network(tmp_path, run):
    probe = _probe(tmp_path, """
        import socket
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=2)
            return {"connected": True}
        except OSError as error:
            return {"connected": False, "error": str(error)}
    """)
    result = run(probe, files={})
    assert result.response["connected"] is False


def test_fallback_still_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_SANDBOX", "fallback")
    isolation.detect.cache_clear()
    try:
        probe = _probe(tmp_path, "while True:\n    pass")
        assert run_probe(probe, files={}, limits=Limits(wall_seconds=2)).status == "timeout"
    finally:
        isolation.detect.cache_clear()


def test_fallback_as_root_drops_to_nobody_and_protect_locks_folders(tmp_path, monkeypatch):
    """Where bubblewrap cannot run (e.g. inside Docker) but we are root, still not root."""
    if os.geteuid() != 0 or not isolation._nobody_can_run_python():
        pytest.skip("needs root and an interpreter that the nobody user can run")
    monkeypatch.setenv("KIT_SANDBOX", "fallback")
    isolation.detect.cache_clear()
    try:
        assert isolation.detect().level == "fallback-root"
        secret_folder = tmp_path / "graders"
        secret_folder.mkdir()
        (secret_folder / "labels.json").write_text("{}")
        os.chmod(tmp_path, 0o755)
        isolation.protect([secret_folder])
        probe = _probe(tmp_path, """
            import os
            try:
                open(request["secret"]).read()
                readable = True
            except OSError:
                readable = False
            return {"uid": os.getuid(), "readable": readable}
        """)
        result = run_probe(probe, files={}, request={"secret": str(secret_folder / "labels.json")})
        assert result.status == "ok", result.describe()
        assert result.response["uid"] in isolation.SANDBOX_UIDS
        assert result.response == {"uid": result.response["uid"], "readable": False, "arrays": []}
    finally:
        isolation.detect.cache_clear()


def test_fallback_server_still_limits(tmp_path, monkeypatch):
    monkeypatch.setenv("KIT_SANDBOX", "fallback")
    isolation.detect.cache_clear()
    try:
        with ProbeWorker(CEILING, []) as server:
            probe = _probe(tmp_path, "while True:\n    pass")
            assert server.run(probe, files={}, limits=Limits(wall_seconds=2)).status == "timeout"
            assert server.run(_probe(tmp_path, "return {'after': 1}"), files={}).response["after"] == 1
    finally:
        isolation.detect.cache_clear()


# --- what only the probe server has to promise ---------------------------------------------

def test_server_imports_once_and_each_probe_is_a_fresh_fork(tmp_path, worker):
    probe = _probe(tmp_path, """
        import os, sys
        preloaded = "numpy" in sys.modules
        import builtins
        first = not hasattr(builtins, "_kit_marker")
        builtins._kit_marker = True
        return {"preloaded": preloaded, "first": first, "pid": os.getpid()}
    """)
    one, two = (worker.run(probe, files={}) for _ in range(2))
    assert one.response["preloaded"] and two.response["preloaded"]
    # What a probe changes in its interpreter dies with it: the next probe starts from the server's state.
    assert one.response["first"] and two.response["first"]
    assert one.response["pid"] != two.response["pid"]


def test_every_probe_forks_with_the_servers_warm_up_done_once(tmp_path):
    """What the warm-up leaves in the server (ex01: librosa's numba functions, loaded) every
    probe finds there. What it prints cannot reach the control channel, and one that fails
    costs only time: the server starts and the probes run."""
    probe = _probe(tmp_path, """
        import json
        return {"warmed": getattr(json, "warmed", 0)}
    """)
    warm_up = "import json\njson.warmed = getattr(json, 'warmed', 0) + 1\nprint('chatter on stdout', flush=True)\n"
    with ProbeWorker(CEILING, ["numpy"], warm_up=warm_up) as server:
        responses = [server.run(probe, files={}).response for _ in range(2)]
    assert [response["warmed"] for response in responses] == [1, 1]
    with ProbeWorker(CEILING, ["numpy"], warm_up="raise RuntimeError('librosa is not installed')") as server:
        result = server.run(probe, files={})
    assert result.status == "ok" and result.response["warmed"] == 0, result.describe()


@needs_bwrap
def test_a_probe_leaves_no_process_and_no_tmp_file_for_the_next(tmp_path, monkeypatch):
    # /tmp holds folders bubblewrap made for its mounts when the kit lives under /tmp (a clone
    # in /tmp, as in CI): they stay, what a probe adds goes, also inside them. A mount under
    # /tmp is added here so that this case is tested wherever the kit lives.
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    python_mounts = isolation._python_mounts
    monkeypatch.setattr(isolation, "_python_mounts", lambda: python_mounts() + [mounted])
    with ProbeWorker(CEILING, ["numpy"]) as worker:
        before, after = _plant_and_look(tmp_path, worker)
    assert before["tmp"] and before["inside"], "bubblewrap made no folder in /tmp for the mount"
    assert "sleep" not in after["processes"]
    assert (after["tmp"], after["inside"]) == (before["tmp"], before["inside"])


def _plant_and_look(tmp_path, worker):
    """/tmp and its processes as a probe sees them, before and after one that plants things."""
    look = tmp_path / "look.py"
    look.write_text("import _probe_runtime as rt, os\n"
                    "def probe(request):\n"
                    "    names = [open(f'/proc/{p}/comm').read().strip() for p in os.listdir('/proc') if p.isdigit()]\n"
                    "    tmp = sorted(os.listdir('/tmp'))\n"
                    "    inside = {d: sorted(os.listdir('/tmp/' + d)) for d in tmp if os.path.isdir('/tmp/' + d)}\n"
                    "    return {'processes': names, 'tmp': tmp, 'inside': inside}\n"
                    "rt.main(probe)\n")
    before = worker.run(look, files={}).response
    leave = _probe(tmp_path, """
        import os, subprocess
        subprocess.Popen(["/bin/sleep", "300"], start_new_session=True)
        for folder in ["/tmp"] + ["/tmp/" + name for name in os.listdir("/tmp")]:
            try:
                open(folder + "/planted", "w").write("x")
            except OSError:
                pass
        return {"planted": os.path.exists("/tmp/planted")}
    """)
    assert worker.run(leave, files={}).response["planted"]
    return before, worker.run(look, files={}).response


def test_a_probe_cannot_read_the_servers_descriptors_or_memory(tmp_path, worker):
    probe = _probe(tmp_path, """
        import os
        server = os.getppid()
        seen = {}
        for what in ("fd", "mem", "environ"):
            try:
                path = f"/proc/{server}/{what}"
                seen[what] = os.listdir(path) if what == "fd" else len(open(path, "rb").read(16))
            except OSError as error:
                seen[what] = type(error).__name__
        return seen
    """)
    result = worker.run(probe, files={})
    assert result.status == "ok", result.describe()
    assert all(value == "PermissionError" for key, value in result.response.items() if key != "arrays"), result.response


def test_a_probe_that_kills_the_server_only_loses_its_own_run(tmp_path):
    with ProbeWorker(CEILING, ["numpy"]) as server:
        killer = _probe(tmp_path, "import os, signal, time\nos.kill(os.getppid(), signal.SIGKILL)\ntime.sleep(30)")
        result = server.run(killer, files={}, limits=Limits(wall_seconds=20))
        assert result.status in {"crashed", "no_response"} and not result.ok
        assert result.seconds < 20  # noticed at once, not at the deadline
        # The server is gone: the caller runs what is left one-shot (GradingContext does).
        assert server.broken and not server.accepts(Limits())
    assert run_probe(_probe(tmp_path, "return {'after': 1}"), files={}).response["after"] == 1


def test_limits_above_the_ceiling_are_refused(worker):
    assert worker.accepts(Limits(memory_mb=1024))
    assert not worker.accepts(Limits(memory_mb=CEILING.memory_mb + 1))
    assert not worker.accepts(Limits(threads=2))


def test_graders_started_together_build_the_numba_cache_once(tmp_path, monkeypatch):
    """JOBS=n on a fresh machine: the first grader compiles librosa's functions, the others wait
    for it instead of compiling them again (15 CPU-seconds each)."""
    from concurrent.futures import ThreadPoolExecutor

    from kit.sandbox import numba_cache

    builds = tmp_path / "builds.txt"
    monkeypatch.setattr(numba_cache, "WARM_UP", f"import time; open({str(builds)!r}, 'a').write('x'); time.sleep(1)")
    with ThreadPoolExecutor(max_workers=3) as pool:
        folders = list(pool.map(lambda _: numba_cache.warm_cache(tmp_path / "numba"), range(3)))
    assert builds.read_text() == "x"
    assert folders[0] is not None and folders[0].is_dir() and len(set(folders)) == 1
    assert [p.name for p in (tmp_path / "numba").iterdir() if p.is_dir()] == [folders[0].name]  # no copy left behind


FORK_BOMB = """
    import os, time
    forked = 0
    try:
        while forked < 2000:
            if os.fork() == 0:
                time.sleep(20)
                os._exit(0)
            forked += 1
    except BlockingIOError as error:
        return {"forked": forked, "stopped_by": str(error)}
    return {"forked": forked, "stopped_by": None}
"""


@pytest.mark.skipif(os.geteuid() != 0 or not isolation.detect().drops_privileges,
                    reason="a sandbox user of its own needs root")
def test_a_fork_bomb_stops_at_the_process_limit_and_other_sandboxes_still_fork(tmp_path, run):
    """Each sandbox runs as a user of its own, so its RLIMIT_NPROC is its own: the bomb stops at
    the limit, and a sandbox started beside it (another submission) forks as usual."""
    bomb = _probe(tmp_path, FORK_BOMB)
    limits = Limits(memory_mb=3072, processes=64)
    with ProbeWorker(CEILING, ["numpy"]) as neighbour:
        result = run(bomb, files={}, limits=limits)
        assert result.status == "ok", result.describe()
        assert result.response["stopped_by"] and 10 < result.response["forked"] < 64, result.response
        (tmp_path / "few").mkdir()
        few = _probe(tmp_path / "few", FORK_BOMB.replace("2000", "20").replace("time.sleep(20)", "time.sleep(1)"))
        beside = neighbour.run(few, files={}, limits=limits)
        assert beside.status == "ok" and (beside.response["forked"], beside.response["stopped_by"]) == (20, None)
    assert isolation.SandboxUser(isolation.detect()).uid in isolation.SANDBOX_UIDS
