"""BLAS threads fitted to the CPUs a process may use: its affinity and its cgroup's CPU quota (v1 and v2)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.load import NoCgroup, busy_processes, cpu_quota
from mnistnn import _threads

AFFINITY = len(os.sched_getaffinity(0))
# Prints how many threads BLAS uses after `import mnistnn`.
BLAS_THREADS = "import mnistnn; print(mnistnn._threads.blas_threads())"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def v1_tree(tmp_path, quotas: dict[str, tuple[int, int]], own: str = "/course/student") -> tuple[Path, Path]:
    """A fake cgroup v1 hierarchy: /proc/self/cgroup names `own`; quotas maps folders to (quota, period)."""
    proc = tmp_path / "proc-cgroup"
    write(proc, f"12:memory:/elsewhere\n4:cpu,cpuacct:{own}\n0::/\n")
    root = tmp_path / "cgroup"
    for folder, (quota, period) in quotas.items():
        write(root / "cpu,cpuacct" / folder.lstrip("/") / "cpu.cfs_quota_us", f"{quota}\n")
        write(root / "cpu,cpuacct" / folder.lstrip("/") / "cpu.cfs_period_us", f"{period}\n")
    (root / "cpu,cpuacct" / own.lstrip("/")).mkdir(parents=True, exist_ok=True)
    return proc, root


def test_a_v1_quota_of_one_and_a_half_cpus_allows_two_threads(tmp_path):
    proc, root = v1_tree(tmp_path, {"/course/student": (150_000, 100_000)})
    assert _threads.cgroup_quota(proc, root) == 1.5
    assert _threads.usable_cpus(proc, root) == min(AFFINITY, 2)


def test_the_smallest_quota_on_the_way_up_counts(tmp_path):
    proc, root = v1_tree(tmp_path, {"/course/student": (400_000, 100_000), "/course": (50_000, 100_000)})
    assert _threads.cgroup_quota(proc, root) == 0.5
    assert _threads.usable_cpus(proc, root) == 1


def test_no_v1_quota_leaves_the_affinity(tmp_path):
    proc, root = v1_tree(tmp_path, {"/course/student": (-1, 100_000)})
    assert _threads.cgroup_quota(proc, root) is None
    assert _threads.usable_cpus(proc, root) == AFFINITY


@pytest.mark.parametrize(("cpu_max", "quota"), [("200000 100000\n", 2.0), ("max 100000\n", None), ("garbled", None)])
def test_a_v2_quota_is_read_from_cpu_max(tmp_path, cpu_max, quota):
    proc = tmp_path / "proc-cgroup"
    write(proc, "0::/user.slice/session\n")
    write(tmp_path / "cgroup" / "user.slice" / "session" / "cpu.max", cpu_max)
    assert _threads.cgroup_quota(proc, tmp_path / "cgroup") == quota


def test_without_cgroup_files_the_affinity_counts(tmp_path):
    assert _threads.cgroup_quota(tmp_path / "missing", tmp_path) is None
    assert _threads.usable_cpus(tmp_path / "missing", tmp_path) == AFFINITY


def run_python(code: str, *, env: dict[str, str] | None = None, prefix: list[str] = ()) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in _threads.THREAD_VARIABLES}
    result = subprocess.run(
        [*prefix, sys.executable, "-c", code],
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip()


@pytest.mark.skipif(AFFINITY < 2, reason="needs at least two CPUs to see BLAS use fewer threads than cores")
def test_a_process_pinned_to_one_cpu_uses_one_blas_thread():
    assert run_python(BLAS_THREADS, prefix=["taskset", "-c", str(min(os.sched_getaffinity(0)))]) == "1"
    assert run_python(BLAS_THREADS) == str(AFFINITY)


@pytest.mark.skipif(AFFINITY < 2, reason="needs at least two CPUs")
def test_threads_the_user_chose_are_left_alone():
    assert run_python(BLAS_THREADS, env={"OPENBLAS_NUM_THREADS": "2"}, prefix=["taskset", "-c", "0,1"]) == "2"
    assert (
        run_python("from mnistnn import _threads; print(_threads.fit_blas_threads())", env={"OMP_NUM_THREADS": "1"})
        == "None"
    )


@pytest.mark.skipif(AFFINITY < 2, reason="needs at least two CPUs: with one, BLAS uses one thread anyway")
def test_a_process_under_a_one_cpu_quota_uses_one_blas_thread():
    try:
        with cpu_quota(1) as inside:
            assert run_python(BLAS_THREADS, prefix=inside) == "1"
    except NoCgroup as reason:
        pytest.skip(f"{reason}; the CPU quota is untested")
    assert run_python(BLAS_THREADS) == str(AFFINITY)


class Readings:
    """A file whose contents change from one reading to the next, as /proc/stat's do."""

    def __init__(self, *texts: str):
        self.texts = list(texts)

    def read_text(self) -> str:
        return self.texts.pop(0)


def test_busy_elsewhere_counts_the_running_threads_of_other_processes_least_of_its_readings(tmp_path):
    tasks = tmp_path / "task"
    for thread, state in (("11", "R"), ("12", "S"), ("13", "R")):  # a command name with ") " in it is read right
        write(tasks / thread / "stat", f"{thread} (python) R (x) {state} 1 2 3\n")
    stat = Readings(*(f"cpu  1 2 3\nprocs_running {n}\nprocs_blocked 0\n" for n in (7, 5, 9)))
    assert _threads.busy_elsewhere(stat, tasks, readings=3, apart=0) == 3  # 5 running at the least, 2 of them ours
    assert _threads.busy_elsewhere(Readings("procs_running 1\n"), tasks, readings=1, apart=0) == 0  # never below 0
    assert _threads.busy_elsewhere(Readings("cpu  1 2 3\n"), tasks, readings=1, apart=0) == 0  # no count: 0
    assert _threads.busy_elsewhere(tmp_path / "missing", tasks, apart=0) == 0


def test_the_machine_cpus_are_those_proc_stat_counts_unless_it_is_mounted_over(tmp_path):
    stat, mounts = tmp_path / "stat", tmp_path / "mounts"
    write(stat, "cpu  9 9 9\ncpu0 1 2 3\ncpu1 1 2 3\ncpu2 1 2 3\nprocs_running 2\n")
    write(mounts, "proc /proc proc rw 0 0\n")
    assert _threads.machine_cpus(stat, mounts) == 3
    write(mounts, f"proc /proc proc rw 0 0\nlxcfs {stat} fuse.lxcfs rw 0 0\n")
    assert _threads.machine_cpus(stat, mounts) is None  # lxcfs: the host's procs_running, the container's CPUs
    assert _threads.machine_cpus(tmp_path / "missing", tmp_path / "missing") is None


UNREADABLE = RuntimeError("an unreadable /proc")


@pytest.mark.parametrize(
    ("usable", "busy", "before", "chose", "limited"),
    [
        (4, 0, 4, None, None),  # a quiet machine: nothing to take away, threadpoolctl not called
        (4, 2, 4, None, 2),  # two CPUs busy elsewhere: two threads left
        (4, 7, 4, None, 1),  # every CPU busy elsewhere: one thread, never none
        (4, 2, 1, None, None),  # a lower limit already set (with threadpoolctl): not raised
        (2, 3, 2, None, None),  # pinned to 2 of the 4 CPUs, or under a quota: the machine's count says nothing of them
        (4, 3, 4, "OMP_NUM_THREADS", None),  # the user chose the threads
        (4, UNREADABLE, 4, None, None),  # the count fails: the training goes on, nothing changed
    ],
)
def test_a_training_run_takes_the_cpus_left_free_and_gives_them_back(monkeypatch, usable, busy, before, chose, limited):
    import threadpoolctl

    calls = []

    class Limits:
        def __init__(self, limits, user_api):
            calls.append(("limit", limits, user_api))

        def restore_original_limits(self):
            calls.append("restored")

    def busy_elsewhere():
        if isinstance(busy, Exception):
            raise busy
        return busy

    for variable in _threads.THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    if chose:
        monkeypatch.setenv(chose, "4")
    monkeypatch.setattr(threadpoolctl, "threadpool_limits", Limits)
    monkeypatch.setattr(_threads, "usable_cpus", lambda: usable)
    monkeypatch.setattr(_threads, "machine_cpus", lambda: 4)
    monkeypatch.setattr(_threads, "busy_elsewhere", busy_elsewhere)
    monkeypatch.setattr(_threads, "blas_threads", lambda: before)
    with pytest.raises(KeyError), _threads.FittedToLoad():  # a training run that fails gives the CPUs back too
        assert calls == ([] if limited is None else [("limit", limited, "blas")])
        raise KeyError
    assert calls == ([] if limited is None else [("limit", limited, "blas"), "restored"])


# Trains briefly with sgd and with gradient_descent, each noting the BLAS threads while it trains (through its
# progress callback); then prints them and the threads after training.
TRAINING_THREADS = """
import numpy as np, mnistnn
from mnistnn._threads import blas_threads
seen = set()
X, y = np.random.default_rng(0).random((784, 200)), np.arange(200) % 10
params = mnistnn.init_params(784, 16, 10, rng=np.random.default_rng(1))
note = lambda *_: seen.add(blas_threads())
mnistnn.sgd(params, X, y, rng=np.random.default_rng(2), batch_size=100, epochs=1, progress=note)
mnistnn.gradient_descent(params, X, y, iterations=2, progress=note)
print(sorted(seen), blas_threads())
"""


@pytest.mark.skipif(
    AFFINITY < 2 or _threads.machine_cpus() != AFFINITY or _threads.usable_cpus() != AFFINITY,
    reason="needs a process that may use every CPU of the machine, at least two (not pinned, no CPU quota)",
)
def test_training_beside_busy_processes_uses_one_blas_thread_unless_the_user_chose():
    with busy_processes(AFFINITY):  # every CPU of the machine kept busy by another process
        deadline = time.monotonic() + 10
        while _threads.busy_elsewhere() < AFFINITY and time.monotonic() < deadline:  # until they all run
            time.sleep(0.05)
        assert run_python(TRAINING_THREADS) == f"[1] {AFFINITY}"  # back to the fitted threads afterwards
        assert run_python(TRAINING_THREADS, env={"OPENBLAS_NUM_THREADS": "2"}) == "[2] 2"
