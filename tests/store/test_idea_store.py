"""The idea store on SQLite and on PostgreSQL: the same behaviour from the same code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from boards.actors import Actor, Role
from boards.commands import DeleteIdea, EditIdea, PostIdea
from boards.errors import Conflict
from boards.rules import apply, decide
from server.ids import token_hash
from server.live.views import record
from server.store.db import MIGRATIONS, create_engine, head_revision, migrate, schema_revision
from server.store.idea_store import IdeaStore

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[IdeaStore]:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    yield store
    await store.close()


async def new_event(store: IdeaStore, fields: tuple[str, ...] = ("Mobilität", "Bildung")) -> str:
    organizer = await store.create_organizer("orga", "hash")
    event = await store.create_event(
        organizer.id, title="Werkstatt", description="", date=date(2026, 5, 6), language="de", field_names=fields
    )
    return event.id


async def test_migrations_are_idempotent(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        await migrate(engine)
        newest = max(p.name.split("_")[0] for p in MIGRATIONS.glob("versions/0*.py"))
        assert await schema_revision(engine) == head_revision() == newest
    finally:
        engine.dispose()


async def test_nodes_that_start_together_on_one_postgresql_migrate_one_after_the_other(pg_url: str) -> None:
    engines = [create_engine(pg_url) for _ in range(4)]  # four nodes, each with its own pool
    try:
        await asyncio.gather(*(migrate(engine) for engine in engines))  # without the lock: duplicate tables
        assert await schema_revision(engines[0]) == head_revision()
    finally:
        for engine in engines:
            engine.dispose()


async def test_an_event_comes_with_fields_plenary_board_and_three_distinct_links(store: IdeaStore) -> None:
    event_id = await new_event(store)
    event = await store.event(event_id)
    assert [f.name for f in event.fields] == ["Mobilität", "Bildung"]
    assert event.date == date(2026, 5, 6)
    links = await store.links(event_id)
    assert set(links) == {Role.FACILITATOR, Role.PARTICIPANT, Role.OBSERVER}
    assert len(set(links.values())) == 3
    assert all(len(token) >= 43 for token in links.values())  # 256 random bits, url-safe base64
    room = await store.plenary(event_id)
    [board_id] = await store.board_ids(room.id)
    board = await store.load_board(board_id)
    assert [c.name for c in board.columns] == ["Mobilität", "Bildung"] and board.seq == 0


async def test_rotating_a_link_revokes_the_old_one(store: IdeaStore) -> None:
    event_id = await new_event(store)
    old = (await store.links(event_id))[Role.PARTICIPANT]
    assert await store.resolve_link(old) == (event_id, Role.PARTICIPANT)
    new = await store.rotate_link(event_id, Role.PARTICIPANT)
    assert new != old
    assert await store.resolve_link(old) is None
    assert await store.resolve_link(new) == (event_id, Role.PARTICIPANT)
    assert (await store.links(event_id))[Role.FACILITATOR] != new


async def test_pseudonyms_are_unique_per_event_but_not_across_events(store: IdeaStore) -> None:
    event_id = await new_event(store)
    await store.create_member(event_id, Role.PARTICIPANT, "Anna", "blue", token_hash("t1"))
    with pytest.raises(Conflict) as info:
        await store.create_member(event_id, Role.PARTICIPANT, "ANNA", "red", token_hash("t2"))
    assert info.value.code == "pseudonym_taken"
    organizer = await store.organizer_by_username("orga")
    assert organizer is not None
    other = await store.create_event(
        organizer.id, title="Andere", description="", date=None, language="en", field_names=["A"]
    )
    member = await store.create_member(other.id, Role.OBSERVER, "Anna", "red", token_hash("t3"))
    assert await store.member_by_token(token_hash("t3")) == member
    assert await store.member_by_token(token_hash("nope")) is None


async def test_board_changes_are_committed_with_their_sequence_and_replayable(store: IdeaStore) -> None:
    event_id = await new_event(store)
    anna = await store.create_member(event_id, Role.PARTICIPANT, "Anna", "blue", token_hash("t1"))
    actor = Actor(anna.id, anna.role)
    room = await store.plenary(event_id)
    [board_id] = await store.board_ids(room.id)
    board = await store.load_board(board_id)
    field_id = board.columns[0].id
    commands = [
        PostIdea("idea_a", field_id, "Mehr Radwege", T0, client_id="c1"),
        PostIdea("idea_b", field_id, "Carsharing", T0 + timedelta(seconds=1)),
        EditIdea("idea_a", T0 + timedelta(seconds=2), text="Sichere Radwege", column_id=board.columns[1].id),
        DeleteIdea("idea_b", T0 + timedelta(seconds=3)),
    ]
    for command in commands:
        events = decide(board, actor, command)
        payloads = [record(board, e, {anna.id: anna}) for e in events]
        await store.commit_board_events(board, events, payloads)
        for event in events:
            apply(board, event)

    reloaded = await store.load_board(board_id)
    assert reloaded.seq == 4
    assert reloaded.ideas == board.ideas
    assert reloaded.ideas["idea_a"].text == "Sichere Radwege"
    assert reloaded.ideas["idea_a"].created_at == T0

    changes = await store.changes_since(board_id, 1, limit=10)
    assert changes is not None
    assert [c.seq for c in changes] == [2, 3, 4]
    assert [c.payload["type"] for c in changes] == ["idea.created", "idea.edited", "idea.deleted"]
    assert await store.changes_since(board_id, 0, limit=3) is None  # too many: the caller sends a snapshot
    assert await store.changes_since(board_id, 4, limit=3) == []

    # the idea store keeps deleted ideas with their provenance
    rows = await store.idea_rows(event_id, include_deleted=True)
    assert {r["id"]: r["deleted_by"] for r in rows} == {"idea_a": None, "idea_b": anna.id}
    assert all(r["event_id"] == event_id and r["room_id"] == room.id and r["board_id"] == board_id for r in rows)
    assert [r["id"] for r in await store.idea_rows(event_id)] == ["idea_a"]


async def test_a_commit_on_a_stale_sequence_changes_nothing(store: IdeaStore) -> None:
    """Two nodes that decided on the same state: the second commit is refused whole."""
    event_id = await new_event(store)
    anna = await store.create_member(event_id, Role.PARTICIPANT, "Anna", "blue", token_hash("t1"))
    actor = Actor(anna.id, anna.role)
    [board_id] = await store.board_ids((await store.plenary(event_id)).id)
    node_a = await store.load_board(board_id)
    node_b = await store.load_board(board_id)
    field_id = node_a.columns[0].id
    events_a = decide(node_a, actor, PostIdea("idea_a", field_id, "A", T0))
    events_b = decide(node_b, actor, PostIdea("idea_b", field_id, "B", T0))
    await store.commit_board_events(node_a, events_a, [record(node_a, events_a[0], {anna.id: anna})])
    with pytest.raises(Conflict) as info:
        await store.commit_board_events(node_b, events_b, [record(node_b, events_b[0], {anna.id: anna})])
    assert info.value.code == "stale_board"
    board = await store.load_board(board_id)
    assert list(board.ideas) == ["idea_a"] and board.seq == 1


async def test_event_update_keeps_field_ids_and_refuses_removing_a_used_field(store: IdeaStore) -> None:
    event_id = await new_event(store, ("Mobilität", "Bildung", "Energie"))
    before = {f.name: f.id for f in (await store.event(event_id)).fields}
    anna = await store.create_member(event_id, Role.PARTICIPANT, "Anna", "blue", token_hash("t1"))
    [board_id] = await store.board_ids((await store.plenary(event_id)).id)
    board = await store.load_board(board_id)
    events = decide(board, Actor(anna.id, anna.role), PostIdea("idea_a", before["Bildung"], "Tablets", T0))
    await store.commit_board_events(board, events, [record(board, events[0], {anna.id: anna})])

    updated = await store.update_event(
        event_id, title="Neu", description="d", date=None, language="en", field_names=["Bildung", "Mobilität", "Kultur"]
    )
    assert [f.name for f in updated.fields] == ["Bildung", "Mobilität", "Kultur"]
    assert {f.name: f.id for f in updated.fields}["Bildung"] == before["Bildung"]
    assert updated.title == "Neu" and updated.language == "en"

    with pytest.raises(Conflict) as info:
        await store.update_event(
            event_id, title="Neu", description="", date=None, language="en", field_names=["Kultur"]
        )
    assert info.value.code == "field_in_use"
    assert [f.name for f in (await store.event(event_id)).fields] == ["Bildung", "Mobilität", "Kultur"]


async def test_sessions_expire(store: IdeaStore) -> None:
    organizer = await store.create_organizer("orga", "hash")
    now = datetime.now(UTC)
    await store.create_session(organizer.id, token_hash("live"), now + timedelta(hours=1))
    await store.create_session(organizer.id, token_hash("old"), now - timedelta(seconds=1))
    assert await store.organizer_by_session(token_hash("live")) == organizer
    assert await store.organizer_by_session(token_hash("old")) is None
    await store.delete_session(token_hash("live"))
    assert await store.organizer_by_session(token_hash("live")) is None
    with pytest.raises(Conflict):
        await store.create_organizer("orga", "hash2")


async def test_a_whole_board_survives_a_reload(store: IdeaStore) -> None:
    """Settings, clusters, comments, vote rounds with their dots and results: as committed, on both databases."""
    from boards import commands as c
    from boards.model import Phase
    from boards.rules import apply_vote, decide_vote
    from boards.voting import Scope, ScopeKind

    event_id = await new_event(store)
    anna = await store.create_member(event_id, Role.PARTICIPANT, "Anna", "blue", token_hash("t1"))
    fac = await store.create_member(event_id, Role.FACILITATOR, "Fatma", "red", token_hash("t2"))
    authors = {anna.id: anna, fac.id: fac}
    a, f = Actor(anna.id, anna.role), Actor(fac.id, fac.role)
    [board_id] = await store.board_ids((await store.plenary(event_id)).id)
    board = await store.load_board(board_id)
    col = board.columns[0].id

    async def run(actor: Actor, command: object) -> None:
        events = decide(board, actor, command)  # type: ignore[arg-type]
        await store.commit_board_events(board, events, [record(board, e, authors) for e in events])
        for event in events:
            apply(board, event)

    await run(a, c.PostIdea("idea_a", col, "Radweg", T0, title="Rad", tags=("Sicherheit",), colour="green"))
    await run(a, c.PostIdea("idea_b", col, "Bus", T0))
    await run(a, c.PostIdea("idea_c", col, "Bus!", T0))
    await run(a, c.GroupIdeas("cl_1", "Verkehr", ("idea_a", "idea_b"), T0))
    await run(a, c.AddComment("cm_1", "idea_a", "Gut", T0))
    await run(f, c.ModerateComment("cm_1", True, T0))
    await run(f, c.MergeIdeas("idea_b", ("idea_c",), T0))
    await run(f, c.SetPhase(Phase.VOTE, T0))
    await run(f, c.OpenVote("vs_1", T0, budget=3, cap=2, scope=Scope(ScopeKind.CLUSTERS, ("cl_1",))))
    dots = []
    for idea in ("idea_a", "idea_a", "idea_b"):
        event = decide_vote(board, a, c.CastDot("vs_1", idea, T0))
        apply_vote(board, event)
        dots.append(event)
    await store.commit_dots(dots, budget=3, cap=2)
    await run(f, c.CloseVote("vs_1", T0, reveal=True))
    await run(f, c.SetLock(True, T0))

    reloaded = await store.load_board(board_id)
    assert reloaded.seq == board.seq and reloaded.settings == board.settings
    assert reloaded.ideas == board.ideas  # order keys, clusters, merges, tags, colours, phase of origin
    assert reloaded.clusters == board.clusters and reloaded.comments == board.comments
    assert reloaded.sessions == board.sessions  # scope, timer, status and the stored ranking
    assert reloaded.ballots["vs_1"].dots == board.ballots["vs_1"].dots
    assert [(r.idea_id, r.dots, r.rank) for r in reloaded.sessions["vs_1"].results] == [
        ("idea_a", 2, 1),
        ("idea_b", 1, 2),
    ]
    assert sorted(await store.vote_rows("vs_1")) == [(anna.id, "idea_a", 2), (anna.id, "idea_b", 1)]


async def test_an_events_privacy_notice_is_stored_kept_on_edits_and_survives_a_restart(database_url: str) -> None:
    engine = create_engine(database_url)
    await migrate(engine)
    store = IdeaStore(engine)
    event_id = await new_event(store)
    assert (await store.event(event_id)).privacy_notice == ""  # the default text is shown
    notice = "Verantwortlich: Stadt Aalen, Marktplatz 30.\n\nFragen: datenschutz@aalen.example"
    changed = dict(title="Werkstatt", description="", date=None, language="de", field_names=["Mobilität"])
    assert (await store.update_event(event_id, **changed, privacy_notice=notice)).privacy_notice == notice
    assert (await store.update_event(event_id, **changed)).privacy_notice == notice  # None keeps it
    await store.close()

    engine = create_engine(database_url)  # a restart: a new engine on the same database
    await migrate(engine)
    store = IdeaStore(engine)
    try:
        assert (await store.event(event_id)).privacy_notice == notice
        assert (await store.update_event(event_id, **changed, privacy_notice="")).privacy_notice == ""
    finally:
        await store.close()


async def test_the_privacy_migration_keeps_existing_events_with_the_default_notice(database_url: str) -> None:
    """An event made before migration 0007 reads back after it with an empty notice (the default text)."""
    from alembic import command

    from server.store.db import _alembic_config

    engine = create_engine(database_url)

    def upgrade_to(revision: str) -> None:
        with engine.begin() as connection:
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    try:
        upgrade_to("0006")
        now = datetime.now(UTC).replace(tzinfo=None)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO organizers (id, username, password_hash, created_at) VALUES ('org_1', 'o', 'h', :t)"
                ),
                {"t": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO events (id, organizer_id, title, description, date, language, created_at, updated_at)"
                    " VALUES ('ev_old', 'org_1', 'Alt', '', NULL, 'de', :t, :t)"
                ),
                {"t": now},
            )
        await migrate(engine)
        assert await schema_revision(engine) == head_revision()
        store = IdeaStore(engine)
        assert (await store.event("ev_old")).privacy_notice == ""
    finally:
        engine.dispose()


async def test_a_batch_of_dots_is_committed_whole_or_not_at_all(store: IdeaStore) -> None:
    """``commit_dots`` checks every voter's stored count and every idea's in one statement per kind (on both
    databases): a batch decided on counts the store no longer holds changes nothing, whichever voter is stale."""
    from boards import commands as c
    from boards.domain_events import DotsChanged
    from boards.model import Phase

    event_id = await new_event(store)
    voters = [
        await store.create_member(event_id, Role.PARTICIPANT, f"V{i}", "blue", token_hash(f"v{i}")) for i in range(3)
    ]
    fac = await store.create_member(event_id, Role.FACILITATOR, "Fatma", "red", token_hash("f"))
    f = Actor(fac.id, fac.role)
    [board_id] = await store.board_ids((await store.plenary(event_id)).id)
    board = await store.load_board(board_id)
    col = board.columns[0].id
    for command in (
        c.PostIdea("idea_a", col, "Radweg", T0),
        c.PostIdea("idea_b", col, "Bus", T0),
        c.SetPhase(Phase.VOTE, T0),
        c.OpenVote("vs_1", T0, budget=5, cap=3),
    ):
        events = decide(board, f, command)
        await store.commit_board_events(board, events, [record(board, e, {fac.id: fac}) for e in events])
        for event in events:
            apply(board, event)
    a, b, v = (Actor(m.id, m.role) for m in voters)

    def dot(actor: Actor, idea: str, delta: int, count: int, used: int) -> DotsChanged:
        return DotsChanged(actor, "vs_1", idea, delta, count, used)

    async def stored() -> list[tuple[str, str, int]]:
        return sorted(await store.vote_rows("vs_1"))

    # first ballots, a second dot on one idea, dots on two ideas
    await store.commit_dots(
        [dot(a, "idea_a", 1, 1, 1), dot(a, "idea_a", 1, 2, 2), dot(b, "idea_a", 1, 1, 1), dot(b, "idea_b", 1, 1, 2)],
        budget=5,
        cap=3,
    )
    committed = [(a.member_id, "idea_a", 2), (b.member_id, "idea_a", 1), (b.member_id, "idea_b", 1)]
    assert await stored() == sorted(committed)
    stale_batches = [
        [dot(v, "idea_a", 1, 1, 1), dot(a, "idea_b", 1, 1, 1)],  # a's ballot holds 2, not 0: not a first ballot
        [dot(v, "idea_a", 1, 1, 1), dot(b, "idea_b", 1, 2, 2)],  # b's ballot holds 2, not the 1 it was decided on
    ]
    with pytest.raises(Conflict) as info:
        await store.commit_dots(stale_batches[0], budget=5, cap=3)
    assert info.value.code == "stale_board"
    with pytest.raises(Conflict):
        await store.commit_dots(stale_batches[1], budget=5, cap=3)
    assert await stored() == sorted(committed)  # v's first dot was in both: not stored
    with pytest.raises(Conflict):  # decided on other budget and cap
        await store.commit_dots([dot(v, "idea_a", 1, 1, 1)], budget=4, cap=3)
    with pytest.raises(Conflict):  # an idea count that is not the stored one (b holds 1 on idea_a)
        await store.commit_dots([dot(v, "idea_a", 1, 1, 1), dot(b, "idea_a", 1, 3, 3)], budget=5, cap=3)
    assert await stored() == sorted(committed)

    # a voter takes every dot back (a ballot of 0 stays), then places one again: stored as their ballot's update
    await store.commit_dots([dot(b, "idea_a", -1, 0, 1), dot(b, "idea_b", -1, 0, 0)], budget=5, cap=3)
    assert await stored() == [(a.member_id, "idea_a", 2)]
    await store.commit_dots([dot(b, "idea_b", 1, 1, 1), dot(v, "idea_b", 1, 1, 1)], budget=5, cap=3)
    assert await stored() == sorted(
        [(a.member_id, "idea_a", 2), (b.member_id, "idea_b", 1), (v.member_id, "idea_b", 1)]
    )
    with pytest.raises(Conflict):  # a first ballot for v again: v's row holds 1
        await store.commit_dots([dot(v, "idea_a", 1, 1, 1)], budget=5, cap=3)
