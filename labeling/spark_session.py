"""Starting Spark for wslab: local mode on loopback and quiet, and the progress of a Spark job.

In local mode (``master`` ``local[...]``, or none outside ``spark-submit``) :func:`get_spark`
starts the JVM itself so that:

* the driver binds 127.0.0.1 only (``spark.driver.host`` and ``spark.driver.bindAddress``;
  ``SPARK_LOCAL_IP`` for the JVM, which also keeps the web UI on loopback), never the machine's
  external interface;
* log4j logs WARN and above, and everything the JVM prints (log4j, its own start-up notes,
  no console progress bar) goes to ``spark.log`` in a temporary folder
  (:func:`spark_log_file`), not into the terminal where wslab draws its progress bars; the
  pipeline copies it into the run folder;
* pyspark's FutureWarnings (e.g. about the pandas version) are not printed;
* Python workers (text-model prediction, :mod:`wslab.labeling.spark_predict`) run this
  interpreter, which has wslab installed, not whatever ``python3`` is first on PATH.

Under ``spark-submit`` or on a cluster master, the session is the cluster's and nothing is changed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import threading
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from wslab.core.errors import ConfigError

__all__ = ["LOOPBACK", "get_spark", "spark_log_file", "job_progress", "quiet_pyspark_warnings"]

LOOPBACK = "127.0.0.1"
LOG4J = """\
rootLogger.level = warn
rootLogger.appenderRef.stderr.ref = stderr
appender.stderr.type = Console
appender.stderr.name = stderr
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
_LOG_KEY = "spark.wslab.logFile"
_jvm_log: list[Path] = []  # the spark.log of the JVM this process started, once started


@contextlib.contextmanager
def quiet_pyspark_warnings() -> Iterator[None]:
    """pyspark's FutureWarnings (pandas version, deprecations) are not shown to wslab's users."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"pyspark(\.|$)")
        yield


def _is_local(master: str | None) -> bool:
    if "PYSPARK_GATEWAY_PORT" in os.environ:  # under spark-submit: its JVM, its settings
        return False
    return master is None or master.startswith("local")


def get_spark(master: str | None = None) -> Any:
    """The active SparkSession, or a new one (``master`` e.g. ``local[2]``; under spark-submit, leave it None)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError("executor: spark needs pyspark; expected `pip install pyspark` (and Java 17+)") from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    with quiet_pyspark_warnings():
        if _is_local(master):
            _start_local(master or "local[*]")
        builder = SparkSession.builder.appName("wslab").config("spark.sql.session.timeZone", "UTC")
        if master:
            builder = builder.master(master)
        return builder.getOrCreate()


def _start_local(master: str) -> None:
    """A local SparkContext on loopback whose JVM writes its output to spark.log."""
    from pyspark import SparkConf, SparkContext

    if SparkContext._active_spark_context is not None:
        return
    if _jvm_log:
        log = _jvm_log[0]
    else:
        log = Path(tempfile.mkdtemp(prefix="wslab-spark-")) / "spark.log"
    props = log.with_name("log4j2.properties")
    props.write_text(LOG4J, encoding="utf-8")
    conf = (SparkConf().setMaster(master).setAppName("wslab")
            .set("spark.driver.host", LOOPBACK).set("spark.driver.bindAddress", LOOPBACK)
            .set("spark.ui.showConsoleProgress", "false").set(_LOG_KEY, str(log))
            .set("spark.driver.extraJavaOptions", f"-Dlog4j.configurationFile={props.as_uri()}"))
    if SparkContext._gateway is not None:  # a JVM from an earlier session of this process
        if not _jvm_log:
            conf.set(_LOG_KEY, "")  # started by someone else: its output goes where they sent it
        _context(SparkContext, conf)
        return
    from pyspark.java_gateway import launch_gateway

    previous = os.environ.get("SPARK_LOCAL_IP")
    os.environ["SPARK_LOCAL_IP"] = LOOPBACK  # read by the JVM at start-up only
    try:
        with log.open("ab") as out:  # the JVM inherits the descriptor; ours is closed after
            gateway = launch_gateway(conf, popen_kwargs={"stdout": out, "stderr": out})
    finally:
        if previous is None:
            os.environ.pop("SPARK_LOCAL_IP", None)
        else:
            os.environ["SPARK_LOCAL_IP"] = previous
    _jvm_log.append(log)
    _context(SparkContext, conf, gateway=gateway)


def _context(cls: Any, conf: Any, **kwargs: Any) -> None:
    """A SparkContext whose Python workers run this interpreter (pyspark reads ``PYSPARK_PYTHON``
    once, here; unset, it would start whatever ``python3`` is first on PATH, without wslab); a
    ``PYSPARK_PYTHON`` the user set wins."""
    if "PYSPARK_PYTHON" in os.environ:
        cls(conf=conf, **kwargs)
        return
    os.environ["PYSPARK_PYTHON"] = sys.executable
    try:
        cls(conf=conf, **kwargs)
    finally:
        os.environ.pop("PYSPARK_PYTHON", None)


def spark_log_file(spark: Any = None) -> Path | None:
    """The spark.log that the local JVM writes (None for a session wslab did not start)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    spark = spark or SparkSession.getActiveSession()
    if spark is None:
        return None
    path = spark.sparkContext.getConf().get(_LOG_KEY)
    return Path(path) if path else None


@contextlib.contextmanager
def job_progress(spark: Any, on_progress: Callable[[float], None] | None, *,
                 interval: float = 0.5) -> Iterator[None]:
    """Report the share of finished tasks (0..1, never decreasing) of the Spark jobs run in the
    block, polled from Spark's status tracker every ``interval`` seconds."""
    if on_progress is None:
        yield
        return
    sc = spark.sparkContext
    group = f"wslab-{uuid.uuid4().hex[:8]}"
    sc.setJobGroup(group, "wslab: labeling functions")
    tracker, stop, best = sc.statusTracker(), threading.Event(), [0.0]

    def poll_once() -> None:
        total = done = 0
        for job in tracker.getJobIdsForGroup(group):
            info = tracker.getJobInfo(job)
            for stage in (info.stageIds if info else ()):
                s = tracker.getStageInfo(stage)
                if s is not None:
                    total, done = total + s.numTasks, done + s.numCompletedTasks
        if total and done / total > best[0]:
            best[0] = done / total
            on_progress(best[0])

    def poll() -> None:
        while not stop.wait(interval):
            poll_once()

    thread = threading.Thread(target=poll, name="wslab-spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        poll_once()  # the tasks that finished since the last look
        sc.setLocalProperty("spark.jobGroup.id", None)
