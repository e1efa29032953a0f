"""The hash chain (全程留痕): events written by record_event verify; a direct SQL update of
any column of any event, a deleted event or a cut-off tail is found by `lianban
verify_audit`, which names the first broken event. On PostgreSQL also with the chain split
between worker processes."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lianban.accounts.models import User
from lianban.audit import chain, verification
from lianban.audit.chain import (
    COLUMNS,
    GENESIS,
    Stretch,
    canonical,
    check_rows,
    entry_hash,
    entry_tail,
    join,
    linked_hash,
)
from lianban.audit.models import ChainHead, Event
from lianban.audit.services import (
    _listeners,
    appended_together,
    before_append,
    on_events,
    record_event,
    verify_chain,
)

# Parallel verification is for PostgreSQL; these run on the PostgreSQL leg only.
postgresql_only = pytest.mark.postgresql

AWKWARD = {
    "说明": "门头位置不符合规划，“请”整改\n第二行",
    "z": 1,
    "a": [3, 2.5, 0.1, -7, True, False, None, {"b": "β", "a": "α"}],
    "nested": {"when": dt.date(2026, 10, 1), "fee": decimal.Decimal("12.50"), "empty": {}},
    "quote": 'a "b" \\ c',
    "emoji": "🏪",
    "big": 2**53 + 1,
}


def write(n: int, **extra) -> list[Event]:
    # An applicant's user name is an identity number, which the label masks.
    user, _ = User.objects.get_or_create(username="110105199001011234")
    events = []
    with transaction.atomic():
        for i in range(n):
            events.append(
                record_event(
                    actor=user if i % 2 else None,
                    verb=f"test.step{i % 3}",
                    target=("cases.itemcase", str(i)),
                    data={**AWKWARD, "i": i, **extra},
                )
            )
    return events


def verify_command() -> str:
    try:
        call_command("verify_audit", workers=1, stdout=(out := _Out()))
    except CommandError as exc:
        return str(exc)
    return out.text


class _Out:
    text = ""

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


def stored_rows() -> list[tuple]:
    return list(Event.objects.order_by("id").values_list(*COLUMNS))


@pytest.mark.django_db
def test_events_written_by_record_event_verify_byte_for_byte():
    whole_second = timezone.now().replace(microsecond=0)
    write(3)
    with mock.patch("lianban.audit.services.timezone.now", return_value=whole_second):
        write(2)  # isoformat() drops the microseconds of a whole second
    assert verify_chain() == (5, None)
    assert "共 5 条事件" in verify_command()
    # The fast loop and entry_hash agree on what was stored, row by row.
    prev = GENESIS
    for _id, occurred_at, label, verb, ttype, tid, data, prev_hash, digest in stored_rows():
        assert prev_hash == prev
        assert digest == entry_hash(
            prev_hash=prev,
            occurred_at=occurred_at.isoformat(),
            actor_label=label,
            verb=verb,
            target_type=ttype,
            target_id=tid,
            data=data,
        )
        prev = digest
    stretch = check_rows(stored_rows())
    assert (stretch.count, stretch.broken_id, stretch.last_hash) == (5, None, prev)
    assert ChainHead.objects.get().last_hash == prev


@pytest.mark.django_db
def test_the_stored_data_is_what_was_hashed():
    event = write(1)[0]
    stored = Event.objects.get(pk=event.pk)
    assert stored.data["nested"] == {"when": "2026-10-01", "fee": "12.50", "empty": {}}
    assert "110105199001011234" not in Event.objects.get(pk=write(2)[1].pk).actor_label


TAMPERING = {
    "occurred_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    "actor_label": "user:1:someone-else",
    "verb": "case.accepted",
    "target_type": "cases.other",
    "target_id": "999",
    "data": '{"i": 2, "说明": "改过"}',
    "prev_hash": "f" * 64,
    "hash": "e" * 64,
}


@pytest.mark.django_db
@pytest.mark.parametrize("column", sorted(TAMPERING))
def test_a_direct_sql_update_of_any_column_is_found_and_named(column):
    events = write(5)
    victim = events[2]
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {Event._meta.db_table} SET {column} = %s WHERE id = %s",
            [TAMPERING[column], victim.pk],
        )
    count, broken = verify_chain()
    assert broken is not None and (count, broken.id) == (2, victim.pk)
    message = verify_command()
    assert f"第 3 条处断裂：事件 #{victim.pk}（" in message


@pytest.mark.django_db
def test_a_deleted_event_breaks_the_chain_at_the_next_one():
    events = write(4)
    Event.objects.filter(pk=events[1].pk).delete()
    count, broken = verify_chain()
    assert (count, broken.id if broken else None) == (1, events[2].pk)


@pytest.mark.django_db
def test_a_cut_off_tail_is_found_through_the_head():
    events = write(4)
    Event.objects.filter(pk=events[-1].pk).delete()
    count, broken = verify_chain()
    assert count == 3 and broken is not None and broken.verb == "<truncated>"
    assert "断裂" in verify_command()


@pytest.mark.django_db
def test_events_appended_together_join_the_chain_in_order_when_the_block_ends():
    write(1)
    length = ChainHead.objects.get().length
    data = {"n": 1}
    with transaction.atomic():
        with appended_together():
            record_event(actor=None, verb="held.first", target=("held.thing", "1"), data=data)
            data["n"] = 2  # what was recorded is kept, not what the dict became
            with appended_together():  # nested: appended with the outer block
                record_event(actor=None, verb="held.second", target=("held.thing", "1"))
            # Kept back: the chain's head is not touched (nor locked) inside the block.
            assert ChainHead.objects.get().length == length
            assert not Event.objects.filter(verb__startswith="held.").exists()
        assert ChainHead.objects.get().length == length + 2
    events = list(Event.objects.filter(verb__startswith="held.").order_by("id"))
    assert [(e.verb, e.data) for e in events] == [("held.first", {"n": 1}), ("held.second", {})]
    assert verify_chain() == (length + 2, None)


@pytest.mark.django_db
def test_a_block_appends_its_events_with_one_lock_one_insert_and_one_move_of_the_head():
    write(1)
    calls: list[list[tuple[str, int]]] = []
    listener = on_events(lambda events: calls.append([(e.verb, e.pk) for e in events]))
    try:
        with (
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
            appended_together(),
        ):
            for n in range(5):
                record_event(actor=None, verb=f"held.{n}", target=("held.thing", str(n)))
    finally:
        _listeners.remove(listener)
    writes = [
        (q["sql"].split()[0], q["sql"].split('"')[1])
        for q in queries.captured_queries
        if q["sql"].startswith(("INSERT", "UPDATE"))
    ]
    assert writes == [("INSERT", "audit_event"), ("UPDATE", "audit_chainhead")]
    assert sum("FOR UPDATE" in q["sql"] for q in queries.captured_queries) == (
        1 if connection.features.has_select_for_update else 0
    )
    events = list(Event.objects.filter(verb__startswith="held.").order_by("id"))
    assert [e.verb for e in events] == [f"held.{n}" for n in range(5)]
    # The listener was called once, with every event in order and the id it was stored under.
    assert calls == [[(e.verb, e.pk) for e in events]]
    assert verify_chain() == (6, None)


@pytest.mark.django_db
def test_events_kept_back_by_a_block_that_raises_are_never_appended():
    with pytest.raises(ValueError), transaction.atomic(), appended_together():
        record_event(actor=None, verb="held.lost", target=("held.thing", "1"))
        raise ValueError
    with transaction.atomic():
        record_event(actor=None, verb="held.after", target=("held.thing", "1"))
    assert list(Event.objects.values_list("verb", flat=True)) == ["held.after"]
    assert verify_chain() == (1, None)


@pytest.mark.django_db
def test_a_nested_block_that_raises_takes_back_its_events_and_the_outer_keeps_its_own():
    def refused_step() -> None:
        # A service as the platform writes them: its savepoint and its block of events.
        with transaction.atomic(), appended_together():
            record_event(actor=None, verb="held.refused", target=("held.thing", "2"))
            raise ValueError

    with transaction.atomic(), appended_together():
        record_event(actor=None, verb="held.kept", target=("held.thing", "1"))
        with pytest.raises(ValueError):
            refused_step()
        record_event(actor=None, verb="held.after", target=("held.thing", "3"))
    verbs = list(Event.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["held.kept", "held.after"]
    assert verify_chain() == (2, None)


@pytest.mark.django_db
def test_a_last_step_runs_when_the_outer_block_ends_just_before_the_events_are_appended():
    seen: list[object] = []

    def step() -> None:
        # Nothing of the block appended yet; what the step records joins the block's events.
        seen.append(("step", Event.objects.count()))
        record_event(actor=None, verb="held.by_step", target=("held.thing", "2"))

    with transaction.atomic():
        with appended_together():
            record_event(actor=None, verb="held.first", target=("held.thing", "1"))
            with appended_together():  # nested: its step waits for the outer block
                before_append(step)
            seen.append("nested block ended")
            record_event(actor=None, verb="held.last", target=("held.thing", "3"))
            seen.append("outer block ending")
        seen.append(("after", Event.objects.count()))
    assert seen == ["nested block ended", "outer block ending", ("step", 0), ("after", 3)]
    verbs = list(Event.objects.order_by("id").values_list("verb", flat=True))
    assert verbs == ["held.first", "held.last", "held.by_step"]
    assert verify_chain() == (3, None)


@pytest.mark.django_db
def test_a_nested_block_that_raises_takes_back_its_last_steps_and_outside_a_block_they_run_at_once():
    ran: list[str] = []

    def refused_step() -> None:
        with transaction.atomic(), appended_together():
            before_append(lambda: ran.append("refused"))
            raise ValueError

    with transaction.atomic(), appended_together():
        before_append(lambda: ran.append("kept"))
        with pytest.raises(ValueError):
            refused_step()
    assert ran == ["kept"]
    before_append(lambda: ran.append("at once"))
    assert ran == ["kept", "at once"]


@pytest.mark.django_db
def test_an_empty_chain_is_sound():
    assert verify_chain() == (0, None)


def _stretch(first_prev, last, count, first_id, broken=None):
    return Stretch(
        first_id=first_id,
        first_verb="v",
        first_prev=first_prev,
        last_hash=last,
        count=count,
        broken_id=broken,
        broken_verb="b" if broken else "",
    )


def test_stretches_join_end_to_start():
    a = _stretch(GENESIS, "h1", 10, 1)
    b = _stretch("h1", "h2", 5, 11)
    assert (join([a, Stretch(), b]).count, join([a, b]).last_hash) == (15, "h2")
    # A stretch that does not start where the previous ended: its first entry is the break.
    whole = join([a, _stretch("hX", "h2", 5, 11)])
    assert (whole.count, whole.broken_id) == (10, 11)
    # A break inside a later stretch counts every sound entry before it.
    whole = join([a, _stretch("h1", "h1b", 3, 11, broken=14)])
    assert (whole.count, whole.broken_id) == (13, 14)
    # The first stretch must start at the genesis.
    assert join([_stretch("h0", "h1", 10, 1)]).broken_id == 1


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("victim_index", [0, 9, 10, 11, 29])
def test_parallel_verification_finds_the_same_break(victim_index):
    events = write(30)
    with mock.patch.object(verification, "MIN_PARALLEL", 0):
        assert verify_chain(workers=3) == (30, None)
        victim = events[victim_index]
        with connection.cursor() as cur:
            cur.execute(
                f"UPDATE {Event._meta.db_table} SET target_id = 'x' WHERE id = %s", [victim.pk]
            )
        count, broken = verify_chain(workers=3)
    assert broken is not None and (count, broken.id) == (victim_index, victim.pk)
    assert verify_chain(workers=1)[0] == victim_index


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_parallel_verification_sees_the_range_boundaries_linked():
    events = write(20)
    # Cut one event at a range boundary and relink nothing: the next range's first entry
    # no longer follows the previous range's last.
    with mock.patch.object(verification, "MIN_PARALLEL", 0):
        Event.objects.filter(pk=events[10].pk).delete()
        count, broken = verify_chain(workers=2)
    assert (count, broken.id if broken else None) == (10, events[11].pk)
    assert chain.GENESIS == GENESIS


WEIRD = [
    json.loads(json.dumps(AWKWARD, default=str)),
    {},
    [],
    None,
    True,
    0,
    -0.0,
    1.5,
    1e20,
    1e-7,
    2**70,
    "",
    'quote " backslash \\ slash / tab \t newline \n nul \x00 unit \x1f del \x7f',
    "\u2028\u2029 \ud7ff \ue000 𝄞",
    {
        "b": {"d": [1, {"z": 0, "a": None}], "c": "丙"},
        "a": "甲",
        "A": "大写",
        "_": 1,
        "10": 2,
        "9": 3,
    },
]


@pytest.mark.parametrize("value", WEIRD, ids=range(len(WEIRD)))
def test_the_fast_encoding_is_json_dumps_byte_for_byte(value):
    assert canonical(value) == json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )


def test_a_hash_linked_from_the_entrys_tail_is_its_entry_hash():
    # The writer makes each entry's tail before it locks the chain's head and links it after:
    # the same hash, for strings the encoder must escape and every kind of data.
    labels = ['user:1:"引号"', "system", "tab\there", "line\nbreak", "\\", "🏪", "\u2028"]
    for i, value in enumerate(WEIRD):
        prev = hashlib.sha256(str(i).encode()).hexdigest() if i else GENESIS
        when = dt.datetime(2026, 11, 27, 8, 0, i, 0 if i % 2 else 123456, tzinfo=dt.UTC)
        item = {
            "actor_label": labels[i % len(labels)],
            "verb": f"v.{i}",
            "target_type": "t\"'",
            "target_id": f"id-{i}",
            "data": value,
        }
        assert linked_hash(prev, when.isoformat(), entry_tail(**item)) == entry_hash(
            prev_hash=prev, occurred_at=when.isoformat(), **item
        )


def test_the_fast_loop_accepts_exactly_what_entry_hash_wrote():
    """Rows hashed by entry_hash (as record_event hashes them) pass check_rows, including
    strings the JSON encoder must escape; changing any one of them fails."""
    labels = ['user:1:"引号"', "system", "tab\there", "line\nbreak", "\\", "🏪", "\u2028"]
    rows = []
    prev = GENESIS
    for i, value in enumerate(WEIRD):
        when = dt.datetime(2026, 11, 27, 8, 0, i, 0 if i % 2 else 123456, tzinfo=dt.UTC)
        row = [i + 1, when, labels[i % len(labels)], f"v.{i}", "t\"'", f"id-{i}", value, prev]
        digest = entry_hash(
            prev_hash=prev,
            occurred_at=when.isoformat(),
            actor_label=row[2],
            verb=row[3],
            target_type=row[4],
            target_id=row[5],
            data=value,
        )
        rows.append((*row, digest))
        prev = digest
    stretch = check_rows(rows)
    assert (stretch.count, stretch.broken_id, stretch.last_hash) == (len(WEIRD), None, prev)
    # data given as JSON text (as the PostgreSQL walk reads it) is decoded the same way
    as_text = [(*r[:6], json.dumps(r[6], ensure_ascii=False), *r[7:]) for r in rows]
    assert check_rows(as_text, data_as_text=True).broken_id is None
    for column in range(1, 9):
        changed = list(rows)
        row = list(changed[4])
        row[column] = (
            row[column] + dt.timedelta(microseconds=1)
            if column == 1
            else {"x": row[column]}
            if column == 6
            else f"{row[column]}!"
        )
        changed[4] = tuple(row)
        assert check_rows(changed).broken_id == 5, column


@pytest.mark.django_db
def test_large_whole_floats_are_hashed_as_the_database_gives_them_back():
    from lianban.audit.services import record_event, verify_chain

    with transaction.atomic():
        event = record_event(
            actor=None,
            verb="test.numbers",
            target=("test.thing", "1"),
            data={"big": 1e20, "small": 0.1},
        )
    event.refresh_from_db()
    assert event.data == {"big": 100000000000000000000, "small": 0.1}
    assert verify_chain()[1] is None
