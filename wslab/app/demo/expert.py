"""A simulated expert for the demo's review loop: answers Label Studio tasks with the true labels.

The demo generator knows the true label of every document (``data/truth.parquet``), so the
loop can be run and measured without a person: :func:`answer_tasks` takes the tasks ``wslab
relabel export`` wrote and returns what Label Studio's JSON export of the annotated project
looks like (the fields ``wslab relabel import`` reads, as the real server writes them: task
``id`` and ``data``, annotations with ``id``, ``completed_by`` as the numeric user id,
``result`` of type ``choices``, ``was_cancelled``, ``created_at``/``updated_at``).

>>> tasks = [{"data": {"wslab_id": "007", "text": "t", "given_label": "a", "suggested_label": "b"}}]
>>> export = answer_tasks(tasks, {"007": "b"}, first_task_id=10)
>>> export[0]["id"], export[0]["data"]["wslab_id"], export[0]["annotations"][0]["result"][0]["value"]
(10, '007', {'choices': ['b']})
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

__all__ = ["answer_tasks"]


def answer_tasks(tasks: Sequence[dict], truth: Mapping[str, str], *, first_task_id: int = 1, user_id: int = 1,
                 project_id: int = 1, from_name: str = "label", to_name: str = "text",
                 at: datetime | None = None) -> list[dict]:
    """Label Studio's JSON export of ``tasks`` (wslab's task JSON) each answered with
    ``truth[data.wslab_id]`` by user ``user_id``; task and annotation ids count up from
    ``first_task_id``. A task whose id ``truth`` lacks raises ``KeyError``."""
    start = at or datetime(2025, 1, 1, tzinfo=UTC)
    out = []
    for n, task in enumerate(tasks):
        data = copy.deepcopy(task["data"])
        when = (start + timedelta(seconds=n)).isoformat().replace("+00:00", "Z")
        task_id = first_task_id + n
        out.append({
            "id": task_id, "data": data, "predictions": copy.deepcopy(task.get("predictions", [])),
            "meta": {}, "created_at": when, "updated_at": when, "project": project_id, "total_annotations": 1,
            "cancelled_annotations": 0,
            "annotations": [{
                "id": task_id, "completed_by": user_id, "was_cancelled": False, "ground_truth": False,
                "result": [{"id": f"r{task_id}", "from_name": from_name, "to_name": to_name, "type": "choices",
                            "origin": "manual", "value": {"choices": [truth[str(data["wslab_id"])]]}}],
                "created_at": when, "updated_at": when, "lead_time": 5.0, "task": task_id, "project": project_id,
            }],
        })
    return out
