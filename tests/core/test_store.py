"""The store: catching up from the change log, and the save schedule."""

from __future__ import annotations

import sqlite3

from app.core.paths import Paths
from app.core.store import SaveSchedule, Store, catalog_path
from tests.helpers.store_data import DIM, RARELY, add_files, edit_one, expected_ids


def sqlite_steps(store: Store, work) -> tuple[int, object]:
    """How many SQLite virtual-machine steps (in tens) ``work()`` makes on the store's catalog connection,
    and what it returned."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    db = store.catalog._db
    db.set_progress_handler(count, 10)
    try:
        result = work()
    finally:
        db.set_progress_handler(None, 0)
    return steps[0], result


def test_catching_up_reads_only_what_changed_whatever_the_size(tmp_path):
    cost = {}
    for files in (100, 1000):
        paths = Paths.resolve(tmp_path / str(files))
        with Store(paths, "m", DIM, schedule=RARELY) as writer:
            add_files(writer, 0, files)
            reader = Store(paths, "m", DIM, readonly=True)
            assert len(reader.vectors) == files * 10
            edit_one(writer, 7)  # 10 passages out, 3 in
            cost[files], caught = sqlite_steps(reader, reader.refresh)
            assert caught.added == 3 and caught.removed == 10 and caught.looked_at == 13
            assert not caught.full and reader.vectors.ids() == expected_ids(reader)
            full, _ = sqlite_steps(reader, reader._compare_all)
            reader.close()
        print(files, "files: catching up took", cost[files], "tens of SQLite steps; comparing every id", full)
        assert full > 5 * cost[files]  # what comparing every id would have cost
    assert cost[1000] <= cost[100] + 2  # ten times the passages: the same work


def test_the_change_log_is_read_by_its_key(tmp_path):
    with Store(Paths.resolve(tmp_path), "m", DIM) as store:
        plan = " ".join(r[3] for r in store.catalog._db.execute(
            "EXPLAIN QUERY PLAN SELECT DISTINCT chunk_id FROM chunk_changes WHERE generation > 1 AND generation <= 5"))
    assert "SEARCH chunk_changes USING PRIMARY KEY" in plan, plan


def test_a_reader_older_than_the_pruned_log_compares_every_id(tmp_path):
    paths = Paths.resolve(tmp_path)
    with Store(paths, "m", DIM, schedule=RARELY) as writer:
        add_files(writer, 0, 20)
        reader = Store(paths, "m", DIM, readonly=True)
        edit_one(writer, 3)
        writer.save()  # the log up to here is pruned: the reader never read it
        assert writer.catalog.changes.complete_after() == writer.catalog.generation()
        add_files(writer, 100, 2)
        caught = reader.refresh()
        assert caught.full and caught.added == 23 and caught.removed == 10
        assert reader.vectors.ids() == expected_ids(reader)
        add_files(writer, 200, 1)  # from here on the log covers it again
        caught = reader.refresh()
        assert not caught.full and caught.added == 10 and reader.vectors.ids() == expected_ids(reader)
        reader.close()


def test_a_catalog_without_its_change_log_is_compared_in_full(tmp_path):
    paths = Paths.resolve(tmp_path)
    with Store(paths, "m", DIM, schedule=RARELY) as writer:
        add_files(writer, 0, 5)
        writer.save()
        add_files(writer, 100, 2)
    db = sqlite3.connect(catalog_path(paths))  # as if made before the log existed, or the log was lost
    db.execute("DELETE FROM chunk_changes")
    db.execute("DELETE FROM state WHERE key = 'changes_from'")
    db.commit()
    db.close()
    with Store(paths, "m", DIM, readonly=True) as reader:
        assert reader.opened.full and reader.opened.added == 20
        assert reader.vectors.ids() == expected_ids(reader)


def test_the_save_schedule():
    s = SaveSchedule(quiet=30, every=300, share=0.02, least=1000)
    assert not s.due(999, 10_000, 1e9, 1e9, busy=True)  # too few changes for a small index
    assert not s.due(19_999, 1_000_000, 1e9, 1e9, busy=True)  # under 2 % of a large one
    assert not s.due(20_000, 1_000_000, 299, 1e9, busy=True)  # saved not long ago
    assert s.due(20_000, 1_000_000, 300, 0, busy=True)  # in a long pass: no quiet to wait for
    assert not s.due(20_000, 1_000_000, 300, 29, busy=False)  # idle, but edits are still coming
    assert s.due(20_000, 1_000_000, 300, 30, busy=False)


def test_a_writable_store_saves_when_due_and_at_exit_only_when_worth_it(tmp_path):
    paths = Paths.resolve(tmp_path)
    side = paths.data / "index" / f"vectors-{DIM}.hnsw.json"
    schedule = SaveSchedule(quiet=30, every=300, share=0.02, least=50)
    with Store(paths, "m", DIM, schedule=schedule) as store:
        first = side.read_bytes()  # the empty index, saved when it was built
        add_files(store, 0, 4)  # 40 changes
        store.vectors.saved_at -= 1000
        assert not store.save_if_due(busy=True) and side.read_bytes() == first
        add_files(store, 10, 2)  # 60
        assert not store.save_if_due(busy=False)  # changed just now
        store.vectors.changed_at -= 60
        assert store.save_if_due(busy=False) and side.read_bytes() != first
        saved = side.read_bytes()
        edit_one(store, 3)  # 13 changes: fewer than are worth a save at exit
    assert side.read_bytes() == saved
    with Store(paths, "m", DIM, schedule=schedule) as store:
        assert store.opened.added == 3 and store.opened.removed == 10 and not store.opened.full
        add_files(store, 20, 5)
    with Store(paths, "m", DIM, readonly=True) as reader:  # the exit saved these 50
        assert reader.opened.added == reader.opened.removed == 0


def test_reading_the_log_again_changes_nothing(tmp_path):
    paths = Paths.resolve(tmp_path)
    with Store(paths, "m", DIM, schedule=RARELY) as store:
        add_files(store, 0, 3)
        edit_one(store, 1)
        generation = store.vectors.generation
        store.vectors.generation = 0  # read the whole log again: every row applied twice
        store.refresh()
        assert store.vectors.generation == generation and store.vectors.ids() == expected_ids(store)
