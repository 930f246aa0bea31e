"""`BatchWriter.zmembers`: a sorted set's members as Redis holds them, seen through the batch's own pending writes
(adds, removals, a delete, and a rollback to a savepoint), so a projection can list an index mid-batch."""
from __future__ import annotations

from eventlog.subscriptions.writer import BatchWriter


def _committed(client, writer: BatchWriter) -> None:
    pipe = client.pipeline(transaction=True)
    writer.queue_into(pipe)
    pipe.execute()


def test_members_are_read_through_the_batchs_pending_writes(redis_client):
    first = BatchWriter(redis_client, name="members_test", generation=1)
    first.zadd("idx", {"a": 1, "b": 2})
    _committed(redis_client, first)

    batch = BatchWriter(redis_client, name="members_test", generation=1)
    assert batch.zmembers("idx") == ["a", "b"]
    batch.zadd("idx", {"c": 3})
    batch.zrem("idx", "a")
    batch.zincrby("idx", 1, "d")
    assert batch.zmembers("idx") == ["b", "c", "d"]

    mark = batch.savepoint()
    batch.delete("idx")
    batch.zadd("idx", {"e": 5})
    assert batch.zmembers("idx") == ["e"]
    batch.rollback(mark)  # the failed event's writes are forgotten, the earlier ones stay
    assert batch.zmembers("idx") == ["b", "c", "d"]
    mark = batch.savepoint()
    batch.zadd("idx", {"f": 6})
    batch.zrem("idx", "b", "c")
    assert batch.zmembers("idx") == ["d", "f"]
    batch.rollback(mark)
    assert batch.zmembers("idx") == ["b", "c", "d"]

    _committed(redis_client, batch)
    assert BatchWriter(redis_client, name="members_test", generation=1).zmembers("idx") == ["b", "c", "d"]
    assert BatchWriter(redis_client, name="members_test", generation=1).zmembers("nothing") == []
