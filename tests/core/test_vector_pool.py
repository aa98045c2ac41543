"""One vector index in memory for the stores of a process that open the same one."""

from __future__ import annotations

import threading

from app.core.catalog import path_key
from app.core.paths import Paths
from app.core.store import Store
from app.core.vector_pool import VectorPool
from tests.helpers.store_data import DIM, RARELY, add_files, expected_ids, unit


def test_two_stores_of_a_pool_share_one_index(tmp_path):
    paths = Paths.resolve(tmp_path)
    pool = VectorPool()
    writer = Store(paths, "m", DIM, pool=pool, schedule=RARELY)
    add_files(writer, 0, 3)
    reader = Store(paths, "m", DIM, readonly=True, pool=pool)
    assert reader.vectors is writer.vectors and len(pool.held()) == 1
    add_files(writer, 10, 1)
    assert reader.vectors.generation == reader.catalog.generation()  # the writer brought it up to date
    query = unit(10, seed=10)[5]
    assert reader.vectors.search(query, 1)[0].tolist() == [36]  # that file's 6th passage (ids start at 1)
    other = Store(paths, "m", 8, readonly=True, pool=pool)  # another dimension is another index
    assert other.vectors is not writer.vectors and len(pool.held()) == 2
    other.close()
    writer.close()
    assert list(pool.held().values()) == [1]
    reader.close()
    assert pool.held() == {}


def test_a_search_does_not_wait_while_the_writer_changes_the_shared_index(tmp_path):
    paths = Paths.resolve(tmp_path)
    pool = VectorPool()
    with Store(paths, "m", DIM, pool=pool, schedule=RARELY) as writer:
        add_files(writer, 0, 2)
        reader = Store(paths, "m", DIM, readonly=True, pool=pool)
        holding, release = threading.Event(), threading.Event()

        def change() -> None:
            with writer.vectors.changing:  # as a long compaction or save would
                holding.set()
                release.wait(10)

        t = threading.Thread(target=change)
        t.start()
        assert holding.wait(10)
        with writer.catalog.write():  # committed, not yet applied
            writer.catalog.delete_file(path_key("/d/0.txt"))
        assert reader.refresh() is None  # it did not wait
        assert len(reader.vectors.search(unit(1, 0)[0], 5)[0]) == 5  # and searching goes on meanwhile
        release.set()
        t.join()
        assert reader.refresh().removed == 10 and reader.vectors.ids() == expected_ids(reader)
        reader.close()
