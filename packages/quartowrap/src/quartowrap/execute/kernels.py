"""Jupyter kernels for chapter execution: one fresh kernel per chapter, started fast.

Starting a kernel and importing pandas/seaborn/statsmodels costs ~5 s, paid once per chapter
by a naive renderer.  On POSIX we start one *fork server* ("zygote") per build instead: a
Python process that imports the third-party modules the chapters use, and never runs any
chapter code.  Each chapter gets a kernel forked from it — a brand-new process whose memory
starts as a copy of the pristine zygote, so nothing a chapter does can leak into another
(the same isolation as one kernel per chapter in Quarto), but the imports are already paid.
Project modules (files under the book's root) are never preloaded, so their imports stay
visible to freeze's dependency tracking.  Where `fork` is unavailable (or with
`QUARTOWRAP_KERNEL_MODE=spawn`) kernels are ordinary `python -m ipykernel_launcher` processes.

Functions prefixed `_kernel_` run *inside* a kernel (they are imported there by the setup
code): they install the audit hook that records which files a chapter opens and report the
project modules it imported.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quartowrap.authoring.protocol import DATA_DIR_ENV, KERNEL_MODE_ENV, PROJECT_ROOT_ENV

# Kernels and the fork server load `kernel_runtime.py` by path under its own module name: a book
# directory may hold another `quartowrap/` (an old copy, a vendored one), and whatever is
# on the kernel's sys.path must not decide which engine code runs there.
RUNTIME_MODULE = "quartowrap_kernel_runtime"
RUNTIME_FILE = Path(__file__).resolve().with_name("kernel_runtime.py")
_LOAD_RUNTIME = (
    "import importlib.util as _u, sys as _s\n"
    f"_runtime = _s.modules.get({RUNTIME_MODULE!r})\n"
    "if _runtime is None:\n"
    f"    _spec = _u.spec_from_file_location({RUNTIME_MODULE!r}, {str(RUNTIME_FILE)!r})\n"
    "    _runtime = _u.module_from_spec(_spec)\n"
    f"    _s.modules[{RUNTIME_MODULE!r}] = _runtime\n"
    "    _spec.loader.exec_module(_runtime)\n"
    "    del _spec\n"
    "del _u, _s"
)
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

# Always preloaded by the zygote: the kernel machinery itself, including what a kernel
# imports lazily while it starts (the debugger module, without debugpy: see
# kernel_runtime._without_debugpy; pdb; psutil for the local addresses; tornado's asyncio
# bridge), so that a forked kernel imports nothing before its chapter.  Imported in each
# kernel instead they cost ~0.3 s of CPU per chapter, more where no bytecode is cached.
_KERNEL_MODULES = (
    "ipykernel.debugger",
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "IPython.core.interactiveshell",
    "IPython.core.magics.execution",
    "IPython.core.magics.pylab",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "IPython.core.oinspect",
    "IPython.extensions.storemagic",
    "IPython.display",
    "jupyter_client.session",
    "jupyter_client.localinterfaces",
    "matplotlib_inline.backend_inline",
    "psutil",
    "tornado.platform.asyncio",
)


def kernel_environment(
    root: Path, data_dir: Path | None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment every chapter kernel sees: deterministic and offline-friendly."""
    env = dict(os.environ)
    env.pop("JPY_PARENT_PID", None)
    env["PYTHONHASHSEED"] = "0"
    env.setdefault("SOURCE_DATE_EPOCH", "0")
    env["MPLBACKEND"] = INLINE_BACKEND
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # same float results on every machine
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("MKL_NUM_THREADS", "1")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    env[PROJECT_ROOT_ENV] = str(root)
    if data_dir is not None:
        env[DATA_DIR_ENV] = str(Path(data_dir).resolve())
    # The project (book root) must be importable as in a kernel started in that directory.
    path = [str(root), *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(path))
    if extra:
        env.update(extra)
    return env


def fork_available() -> bool:
    mode = os.environ.get(KERNEL_MODE_ENV, "").lower()
    if mode == "spawn":
        return False
    return hasattr(os, "fork") and sys.platform.startswith("linux")


# --------------------------------------------------------------------------------------
# A running kernel
# --------------------------------------------------------------------------------------


@dataclass
class Kernel:
    """A kernel process and a blocking client connected to it."""

    pid: int
    client: Any  # jupyter_client.BlockingKernelClient
    connection_file: Path
    log_file: Path
    process: subprocess.Popen[bytes] | None = None  # spawn mode only
    closed: bool = False

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        with contextlib.suppress(OSError, IndexError):  # a zombie is not a running kernel
            stat = Path(f"/proc/{self.pid}/stat").read_text()
            return stat.rsplit(")", 1)[1].split()[0] != "Z"
        return True

    def log_tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
            return "\n".join(text.strip().splitlines()[-lines:])
        return ""

    def close(self) -> None:
        """Kill the kernel and everything it started (it leads its own process group)."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            self.client.stop_channels()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(self.pid, signal.SIGKILL)
        if self.process is not None:
            with contextlib.suppress(Exception):
                self.process.wait(timeout=10)
        else:  # a child of the fork server, which reaps it: wait until it is gone
            deadline = time.monotonic() + 5
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.01)
        for path in (self.connection_file, self.log_file):
            with contextlib.suppress(OSError):
                path.unlink()


# --------------------------------------------------------------------------------------
# The pool: zygote (fork server) or plain spawning
# --------------------------------------------------------------------------------------


@dataclass
class KernelPool:
    """Hands out fresh kernels; `close()` kills every kernel it ever started.

    `plan` lists, per kernel in the order they will be handed out, the modules its chapter
    imports; the zygote imports those (minus project modules) just before forking that
    kernel, so a light chapter never waits for a heavy chapter's imports, and heavy imports
    overlap with chapters already running.  `preload` serves kernels beyond the plan.
    `prestart` kernels are kept booting ahead of `acquire()`.
    """

    root: Path
    env: dict[str, str]
    preload: tuple[str, ...] = ()
    plan: tuple[tuple[str, ...], ...] = ()
    prestart: int = 1
    mode: str = field(default_factory=lambda: "fork" if fork_available() else "spawn")
    startup_timeout: float = 120.0
    learns: bool = False  # preload what earlier kernels imported (see `learn`)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        self._tmp = Path(tempfile.mkdtemp(prefix="kce-kernels-"))
        self._lock = threading.Lock()
        self._kernels: list[Kernel] = []
        self._ready: queue.Queue[Kernel | BaseException] = queue.Queue()
        self._booting = 0
        self._waiting = 0
        self._closed = False
        self._server: ForkServer | None = None
        self._counter = 0
        self._budget: int | None = None  # kernels still to be handed out, when known
        self._learned: dict[str, None] = {}  # modules earlier kernels imported (see learn)

    # -- lifecycle -------------------------------------------------------------------

    def start(self, expected: int | None = None) -> KernelPool:
        """Begin preloading (in the background) and boot `prestart` kernels ahead."""
        self._budget = expected
        if self.mode == "fork":
            # the one started early for this project (see `start_fork_server_early`) if its
            # environment is this pool's, else a new one
            self._server = (
                _adopt_early(self.root, self.env)
                or ForkServer(self.root, self.env, self.startup_timeout).start()
            )
        self._top_up()
        return self

    def __enter__(self) -> KernelPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        """True once `close()` ran: a caller keeping a pool warm then starts a new one."""
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            kernels = list(self._kernels)
        for kernel in kernels:
            kernel.close()
        for _ in range(max(8, self.prestart)):  # wake anyone blocked in acquire()
            self._ready.put(RuntimeError("kernel pool closed"))
        if self._server is not None:
            self._server.close()
        with contextlib.suppress(OSError):
            for path in self._tmp.iterdir():
                path.unlink()
            self._tmp.rmdir()

    def learn(self, modules: Iterable[str]) -> None:
        """Modules a finished chapter's kernel imported: the fork server imports those that
        belong to packages it has loaded already before its next fork, so the kernels after
        it start with them (a library's lazily imported parts are paid once per pool, not
        once per chapter).  Only a pool that `learns`: one kept warm for editions forks the
        same chapters again and again; a single build's chapters each need their own."""
        if not self.learns:
            return
        with self._lock:
            for name in modules:
                self._learned.setdefault(name, None)

    # -- handing out kernels ----------------------------------------------------------

    def acquire(self) -> Kernel:
        """A fresh, ready kernel (waits for one that is booting, or boots one).

        Accounting, always under the lock: every blocked caller is matched by one kernel
        that is ready or booting (`_supply`), so nobody waits for a kernel never started.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("kernel pool is closed")
            if self._budget is not None:
                self._budget -= 1
            self._waiting += 1
            if self._supply() < 0:
                self._boot_locked()
        try:
            item = self._ready.get()
        finally:
            with self._lock:
                self._waiting -= 1
        if isinstance(item, BaseException):
            raise RuntimeError(f"could not start a Jupyter kernel: {item}") from item
        self._top_up()
        return item

    def _supply(self) -> int:
        """Kernels ready or booting that nobody is waiting for yet (lock held)."""
        return self._ready.qsize() + self._booting - self._waiting

    def _top_up(self) -> None:
        with self._lock:
            if self._closed:
                return
            spare = self._supply()
            wanted = self.prestart - spare
            if self._budget is not None:
                wanted = min(wanted, self._budget - spare)
            for _ in range(max(0, wanted)):
                self._boot_locked()

    def _boot_locked(self) -> None:
        """Start booting one kernel in the background (lock held)."""
        self._booting += 1

        self._counter += 1
        n = self._counter

        def run() -> None:
            item: Kernel | BaseException
            try:
                item = self._boot_with_retries(n)
            except BaseException as exc:  # handed to whoever waits for a kernel
                item = exc
            finally:
                release_event_loop()
            with self._lock:
                self._booting -= 1
                self._ready.put(item)

        threading.Thread(target=run, daemon=True).start()

    def _boot_with_retries(self, n: int, attempts: int = 3) -> Kernel:
        """Boot kernel `n`; retry with fresh ports when another process took one first.

        Jupyter picks free ports when it writes the connection file and the kernel binds
        them a moment later; on a busy machine another process can bind one in between.
        """
        for attempt in range(1, attempts + 1):
            try:
                return self._boot(n, attempt)
            except RuntimeError as exc:
                if attempt == attempts or "Address already in use" not in str(exc):
                    raise
        raise AssertionError("unreachable")

    def _boot(self, n: int, attempt: int = 1) -> Kernel:
        from jupyter_client import BlockingKernelClient
        from jupyter_client.connect import write_connection_file

        suffix = f"{n}" if attempt == 1 else f"{n}-{attempt}"
        cf = self._tmp / f"kernel-{suffix}.json"
        log = self._tmp / f"kernel-{suffix}.log"
        write_connection_file(str(cf), ip="127.0.0.1")
        process = None
        if self.mode == "fork":
            modules = self.plan[n - 1] if n <= len(self.plan) else self.preload
            assert self._server is not None
            with self._lock:
                learned = list(self._learned)
            pid = self._server.fork(cf, log, modules, learned)
        else:
            with open(log, "wb") as out:
                process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "ipykernel_launcher",
                        "-f",
                        str(cf),
                        "--HistoryManager.enabled=False",
                        "--IPKernelApp.quiet=True",
                    ],
                    cwd=self.root,
                    env={**self.env, "JPY_PARENT_PID": str(os.getpid())},  # dies with us
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            pid = process.pid
        client = BlockingKernelClient(connection_file=str(cf))
        client.load_connection_file()
        kernel = Kernel(pid=pid, client=client, connection_file=cf, log_file=log, process=process)
        with self._lock:
            self._kernels.append(kernel)
            closed = self._closed
        if closed:
            kernel.close()
            raise RuntimeError("kernel pool closed while a kernel was starting")
        client.start_channels()
        try:
            _wait_ready(kernel, self.startup_timeout)
        except RuntimeError:
            kernel.close()
            raise
        return kernel


class ForkServer:
    """The fork server ("zygote"): a Python process that has imported the kernel machinery
    and, before each fork, the modules that kernel's chapter imports; `fork` asks it for a
    kernel and returns the kernel's pid.  Its imports run in the background from `start`."""

    def __init__(self, root: Path, env: dict[str, str], startup_timeout: float = 120.0) -> None:
        self.root = Path(root).resolve()
        self.env = env
        self.startup_timeout = startup_timeout
        self._tmp = Path(tempfile.mkdtemp(prefix="kce-zygote-"))
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._pipe_lock = threading.Lock()  # one request/reply at a time on the pipe
        self._state_lock = threading.Lock()  # the process is started or closed, not both
        self._closed = False

    def start(self) -> ForkServer:
        threading.Thread(target=self._start, daemon=True).start()
        return self

    def _start(self) -> None:
        try:
            with self._state_lock:
                if self._closed:
                    raise RuntimeError("fork server closed")
                self._log = open(self._tmp / "zygote.log", "wb")  # noqa: SIM115
                self._process = subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        f"{_LOAD_RUNTIME}; _runtime._zygote_main()",
                    ],
                    cwd=self.root,
                    env=self.env,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self._log,
                )
            self._send({"root": str(self.root), "preload": list(_KERNEL_MODULES)})
            reply = self._receive()
            if not reply.get("ready"):
                raise RuntimeError(f"fork server failed: {reply}")
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        self._process.stdin.flush()

    def _receive(self) -> dict[str, Any]:
        assert self._process is not None and self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            log = (self._tmp / "zygote.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"fork server exited\n{log}")
        return json.loads(line)

    def fork(
        self,
        connection_file: Path,
        log: Path,
        modules: Sequence[str],
        learned: Sequence[str] = (),
    ) -> int:
        """A new kernel listening on `connection_file` (its pid), once `modules` are loaded
        (and those of `learned` that belong to packages the server has loaded already)."""
        if not self._ready.wait(self.startup_timeout):
            raise RuntimeError(f"fork server not ready after {self.startup_timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"fork server unavailable: {self._error}")
        request = {
            "cmd": "fork",
            "connection_file": str(connection_file),
            "log": str(log),
            "preload": list(modules),
            "learned": list(learned),
        }
        with self._pipe_lock:
            self._send(request)
            reply = self._receive()
        if "pid" not in reply:
            raise RuntimeError(f"fork failed: {reply}")
        return int(reply["pid"])

    def close(self) -> None:
        """Kill it (it holds no state worth a clean exit); its kernels die with it."""
        with self._state_lock:
            self._closed = True
            process = self._process
        if process is not None:
            with contextlib.suppress(Exception):
                process.kill()
                process.wait(timeout=10)
            for stream in (process.stdin, process.stdout, self._log):
                with contextlib.suppress(Exception):
                    stream.close()  # type: ignore[union-attr]
        with contextlib.suppress(OSError):
            for path in self._tmp.iterdir():
                path.unlink()
            self._tmp.rmdir()


# A fork server started before the build knows what it will execute (see
# `start_fork_server_early`), waiting for the pool of that project to take it over.
_EARLY: list[ForkServer] = []
_EARLY_LOCK = threading.Lock()


def start_fork_server_early(root: Path, data_dir: Path | None = None) -> None:
    """Start the project's fork server now, before the configuration is read.

    Importing the kernel machinery takes the fork server longer than reading the
    configuration and the chapters takes the build; started first, the two overlap. The
    pool of this project adopts it when its environment is the same; a build that executes
    nothing closes it (`close_early_fork_servers`).
    """
    if not fork_available():
        return
    root = Path(root).resolve()
    server = ForkServer(root, kernel_environment(root, data_dir)).start()
    with _EARLY_LOCK:
        _EARLY.append(server)


def _adopt_early(root: Path, env: Mapping[str, str]) -> ForkServer | None:
    with _EARLY_LOCK:
        for server in _EARLY:
            if server.root == root and server.env == env:
                _EARLY.remove(server)
                return server
    return None


def close_early_fork_servers() -> None:
    """Close the early fork servers no pool took over (the build executed nothing)."""
    with _EARLY_LOCK:
        servers = list(_EARLY)
        _EARLY.clear()
    for server in servers:
        server.close()


def release_event_loop() -> None:
    """Close the asyncio loop jupyter_client's blocking calls made for this thread.

    `run_sync` keeps one loop per thread and never closes it; a build uses short-lived
    threads, so without this every chapter would leak a loop and its socket pair.
    """
    with contextlib.suppress(Exception):
        from jupyter_core.utils import _loop

        loop = _loop.get()
        if loop is not None and not loop.is_closed():
            loop.close()
        _loop.set(None)


IOPUB_PROBE_S = 0.05  # how long one kernel_info probe waits for its status on iopub


def _wait_ready(kernel: Kernel, timeout: float) -> None:
    """Ready = a kernel_info reply on shell *and* a status message on iopub (so no output of
    the first cell is lost).

    A fresh iopub subscription misses what the kernel publishes before it is connected
    (ZeroMQ's "slow joiner"), so the status of one kernel_info request may never arrive.
    `BlockingKernelClient.wait_for_ready` and a long single wait both pay that as a fixed
    delay (about 0.5 s a kernel, i.e. a chapter); here a new probe goes out every 50 ms
    until the status of any of them arrives.  The replies to the other probes are ignored
    by the engine, which matches every message to its own request.
    """
    client = kernel.client
    deadline = time.monotonic() + timeout
    first = client.kernel_info()
    while True:  # the kernel is up once it answers on shell
        if time.monotonic() > deadline:
            raise RuntimeError(f"kernel did not start within {timeout:.0f} s\n{kernel.log_tail()}")
        try:
            msg = client.get_shell_msg(timeout=0.5)
        except queue.Empty:
            if not kernel.alive():
                raise RuntimeError(f"kernel exited at start-up\n{kernel.log_tail()}") from None
            continue
        if msg["parent_header"].get("msg_id") == first:
            break
    probes = {first}
    while time.monotonic() < deadline:
        end = time.monotonic() + IOPUB_PROBE_S
        while (left := end - time.monotonic()) > 0:
            try:
                msg = client.get_iopub_msg(timeout=left)
            except queue.Empty:
                break
            if msg["parent_header"].get("msg_id") in probes:
                return
        if not kernel.alive():
            raise RuntimeError(f"kernel exited at start-up\n{kernel.log_tail()}")
        probes.add(client.kernel_info())
    raise RuntimeError(f"kernel did not start within {timeout:.0f} s\n{kernel.log_tail()}")


# --------------------------------------------------------------------------------------
# Code sent to a kernel
# --------------------------------------------------------------------------------------


def setup_code(
    root: Path,
    figure_size: tuple[float, float] | None = None,
    cwd: Path | None = None,
    fonts: Sequence[Path] = (),
) -> str:
    """Code run (silently) in each fresh kernel before the chapter's first cell.

    `figure_size` (inches) comes from the document's `fig-width`/`fig-height`, as in Quarto;
    `cwd` is the working directory (default: the project root); `fonts` are font files the
    figures' text is set in (the PDF writer's, so figure text matches the page).
    """
    size = None if figure_size is None else tuple(float(v) for v in figure_size)
    font_files = tuple(str(f) for f in fonts)
    return (
        f"{_LOAD_RUNTIME}\n"
        f"_runtime._kernel_setup({str(root)!r}, {size!r}, {str(cwd or root)!r}, {font_files!r})\n"
        "__kce_inline__ = _runtime._kernel_inline\n"
        "del _runtime\n"
    )


REPORT_EXPRESSION = f"__import__('sys').modules[{RUNTIME_MODULE!r}]._kernel_report()"
ERROR_EXPRESSION = f"__import__('sys').modules[{RUNTIME_MODULE!r}]._kernel_error_report()"


def rc_code(rc: dict[str, float]) -> str:
    """Code that sets matplotlib rc values now and for a pyplot imported later."""
    return f"__import__('sys').modules[{RUNTIME_MODULE!r}]._kernel_rc({rc!r})\n"


def figure_size_code(size: tuple[float, float]) -> str:
    """Code that sets matplotlib's default figure size (inches) for the cells that follow:
    a cell's own `fig-width`/`fig-height`, then the document's size back after it."""
    size = (float(size[0]), float(size[1]))
    return f"__import__('sys').modules[{RUNTIME_MODULE!r}]._kernel_figure_size({size!r})\n"
