"""One local Spark session for the whole folder (starting a JVM takes seconds)."""

from __future__ import annotations

import shutil

import pytest


@pytest.fixture(scope="session")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no java on PATH (Spark needs a JRE: apt-get install -y default-jre-headless)")
    from wslab.labeling.spark import get_spark

    session = get_spark("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
