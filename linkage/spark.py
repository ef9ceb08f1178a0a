"""The linkage stage on Spark: a session Splink can use, and its ``SparkAPI``.

``linkage.link.link(..., db_api=spark_api(spark_session(...)))`` scores with the
same model file as DuckDB (``splink_model.for_dialect`` renders its SQL for Spark).
Splink needs its similarity UDF jar on the session (``damerau_levenshtein`` is one of
its functions) and a checkpoint directory: it writes intermediate tables there as
parquet to cut Spark's lineage. On a cluster that directory must be on storage every
executor and the driver can reach (HDFS, S3, a shared mount).
"""

from __future__ import annotations

import tempfile
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import SparkSession
from splink.backends.spark import SparkAPI, similarity_jar_location


def spark_session(
    app: str = "childreg", master: str = "local[2]", checkpoint_dir: str | None = None
) -> SparkSession:
    """A Spark session with Splink's similarity jar and a checkpoint directory.

    ``master``: ``local[N]`` runs in this process's JVM; ``spark://host:7077``,
    ``yarn`` or ``k8s://...`` use a cluster. ``checkpoint_dir`` defaults to a fresh
    local temporary folder, which only suits local mode. An already running session
    in this process is reused (Spark allows one), with the checkpoint dir set again.
    """
    builder = (
        SparkSession.builder.appName(app)
        .master(master)
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        # The default 200 shuffle partitions are tiny tasks on one machine; Splink
        # repartitions its large intermediate tables to half this number.
        builder = builder.config("spark.sql.shuffle.partitions", "8").config("spark.ui.enabled", "false")
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(checkpoint_dir or tempfile.mkdtemp(prefix="childreg-spark-"))
    return session


def _arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The frame as an Arrow table with a type for every column.

    Spark cannot type a column that is null in every row (a township nobody filled
    in a small sync, or lists that are all empty): those are declared strings and
    lists of strings. Nullable ``Int64`` stays a 64-bit integer.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    return table.cast(pa.schema([_typed(f) for f in table.schema]))


def _typed(field: pa.Field) -> pa.Field:
    if pa.types.is_null(field.type):
        return field.with_type(pa.string())
    if pa.types.is_list(field.type) and pa.types.is_null(field.type.value_type):
        return field.with_type(pa.list_(pa.string()))
    return field


class _SparkAPI(SparkAPI):
    """``SparkAPI`` registering pandas frames through Arrow, with every column typed."""

    def _table_registration(self, input: Any, table_name: str) -> None:
        if isinstance(input, pd.DataFrame):
            input = self.spark.createDataFrame(_arrow_table(input))
        super()._table_registration(input, table_name)


def spark_api(session: SparkSession) -> SparkAPI:
    """Splink's backend on ``session``, for one ``train``, ``score`` or ``link`` call.

    Splink names its input table ``records`` and caches intermediate tables per API,
    so each call gets a new API on a child session (``newSession``: its own temporary
    views, the same Spark context, jar and checkpoint directory).
    """
    return _SparkAPI(spark_session=session.newSession())
