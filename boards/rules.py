"""The rules of a board: ``decide`` checks a command and returns its events; ``apply`` applies one.

``decide`` never changes the board. The server commits the events, then applies them, so
nothing is applied that was not committed. Votes have their own pair, ``decide_vote`` and
``apply_vote``, because dots do not take a board sequence number.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from boards import commands as c
from boards.actors import Actor, Role
from boards.domain_events import (
    BoardEvent,
    ClusterChanged,
    CommentChanged,
    DotsChanged,
    IdeaChanged,
    SessionChanged,
    SettingsChanged,
)
from boards.errors import Conflict, Forbidden, InvalidInput, NotFound
from boards.model import IDEA_COLOURS, Board, Cluster, Comment, Idea, IdeaStatus, Phase
from boards.ordering import key_between
from boards.text import clean_text
from boards.voting import (
    BUDGET_MAX,
    DURATION_MAX_S,
    DURATION_MIN_S,
    Ballots,
    ScopeKind,
    VoteSession,
    VoteStatus,
    rank,
    votable,
)
from boards.window import check_window, clean_window

IDEA_TEXT_MAX = 2000
IDEA_TITLE_MAX = 120
TAGS_MAX = 10
TAG_MAX = 30
HEADING_MAX = 80
COMMENT_MAX = 1000
SYSTEM = Actor("system", Role.ORGANIZER)  # the server itself, e.g. when a vote's timer runs out


def clean_idea_text(text: str) -> str:
    return clean_text(text, label="The idea", min_len=1, max_len=IDEA_TEXT_MAX, multiline=True)


def _title(title: str) -> str:
    return clean_text(title, label="The title", min_len=0, max_len=IDEA_TITLE_MAX)


def _tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    if len(tags) > TAGS_MAX:
        raise InvalidInput(f"At most {TAGS_MAX} tags.", code="too_many_tags")
    cleaned: list[str] = []
    for tag in tags:
        tag = clean_text(tag, label="A tag", min_len=1, max_len=TAG_MAX)
        if "," in tag or ";" in tag:  # every spreadsheet's list separators: an export could not tell tags apart
            raise InvalidInput(f"A tag may not hold a comma or a semicolon ({tag!r}).", code="invalid_tag")
        if tag.casefold() not in {t.casefold() for t in cleaned}:
            cleaned.append(tag)
    return tuple(cleaned)


def _colour(colour: str | None) -> str | None:
    if colour is not None and colour not in IDEA_COLOURS:
        raise InvalidInput(f"Unknown card colour {colour!r}; choose one of {', '.join(IDEA_COLOURS)}.")
    return colour


def _heading(heading: str) -> str:
    return clean_text(heading, label="The heading", min_len=0, max_len=HEADING_MAX)


# -- permissions ------------------------------------------------------------------------


def _contributor(actor: Actor) -> None:
    if not actor.role.contributes:
        raise Forbidden("Observers can read the board but not change it.")


def _moderator(actor: Actor) -> None:
    if not actor.role.moderates:
        raise Forbidden("Only a facilitator can do that.")


def _writable(board: Board) -> None:
    if board.settings.locked:
        raise Conflict("The board is locked: it is read-only now.", code="read_only")
    if board.settings.phase is Phase.CLOSED:
        raise Conflict("The board is closed: it is read-only now.", code="read_only")


def _in_phase(board: Board, actor: Actor, *phases: Phase) -> None:
    """Participants act only in the given phases; facilitators in any open one."""
    _writable(board)
    if not actor.role.moderates and board.settings.phase not in phases:
        names = " or ".join(p.value for p in phases)
        raise Conflict(
            f"That is possible in the {names} phase; the board is in {board.settings.phase.value}.", code="wrong_phase"
        )


def _not_silent(board: Board, actor: Actor) -> None:
    """Grouping shows others what one wrote: not while the collection is silent."""
    if board.settings.silent_now and not actor.role.moderates:
        raise Conflict("Grouping waits until the ideas are revealed.", code="wrong_phase")


def _may_change_field(actor: Actor, idea: Idea, column_id: str) -> None:
    """An idea's field of action is part of what it says: only its author or a facilitator changes it.

    Anyone who may arrange the board may still reorder and group others' ideas within their field.
    """
    if column_id != idea.column_id and idea.author_id != actor.member_id and not actor.role.moderates:
        raise Forbidden("Only the author or a facilitator can move an idea into another field of action.")


def _sees(board: Board, actor: Actor, idea: Idea) -> bool:
    """Whether the actor may see (and so act on) an idea."""
    if actor.role.moderates or idea.author_id == actor.member_id:
        return True
    return idea.status is IdeaStatus.VISIBLE and not board.settings.silent_now


def visible_to(board: Board, actor: Actor, idea_id: str) -> Idea:
    """The idea, if the actor may see it; else NotFound (as if it did not exist)."""
    return _idea_for(board, actor, idea_id)


def _idea_for(board: Board, actor: Actor, idea_id: str) -> Idea:
    idea = board.idea(idea_id)
    if not _sees(board, actor, idea):
        raise NotFound(f"The board has no idea {idea_id!r}.")
    return idea


def _no_open_dots(board: Board, idea_ids: set[str]) -> None:
    """Ideas with dots in a vote that is not revealed yet stay as they are until the reveal."""
    for session in board.sessions.values():
        if session.status is VoteStatus.REVEALED:
            continue
        ballots = board.ballots.get(session.id)
        tallies = ballots.tallies() if ballots else {}
        if any(tallies.get(i) for i in idea_ids):
            raise Conflict("Ideas with dots cannot change until the vote is revealed.", code="vote_open")


def _end_of_column(board: Board, column_id: str, without: str | None = None) -> str:
    order = board.column_order(column_id, without=without)
    return key_between(order[-1].position if order else None, None)


# -- decide -------------------------------------------------------------------------------


class _Decision:
    """Collects the events of one command, numbering them from the board's sequence."""

    def __init__(self, board: Board, actor: Actor) -> None:
        self.board, self.actor = board, actor
        self.events: list[BoardEvent] = []

    @property
    def seq(self) -> int:
        return self.board.seq + len(self.events) + 1

    def idea(self, kind: str, idea: Idea, before: Idea | None = None) -> None:
        self.events.append(IdeaChanged(self.seq, self.actor, kind, idea, before))

    def cluster(self, kind: str, cluster: Cluster) -> None:
        self.events.append(ClusterChanged(self.seq, self.actor, kind, cluster))

    def comment(self, kind: str, comment: Comment) -> None:
        self.events.append(CommentChanged(self.seq, self.actor, kind, comment))

    def settings(self, kind: str, **changes: Any) -> None:
        current = self.events_settings()
        self.events.append(SettingsChanged(self.seq, self.actor, kind, replace(current, **changes)))

    def events_settings(self) -> Any:
        for event in reversed(self.events):
            if isinstance(event, SettingsChanged):
                return event.settings
        return self.board.settings

    def session(self, kind: str, session: VoteSession) -> None:
        self.events.append(SessionChanged(self.seq, self.actor, kind, session))


def decide(board: Board, actor: Actor, command: c.Command) -> list[BoardEvent]:
    """Check ``command`` against the rules; return its events or raise a DomainError."""
    d = _Decision(board, actor)
    handler = _HANDLERS.get(type(command))
    if handler is None:  # pragma: no cover - a programming error
        raise TypeError(f"unknown command {command!r}")
    if actor is not SYSTEM:
        _contributor(actor)
        if not isinstance(command, c.ReportIdea):  # reporting stays possible, as on a locked board
            check_window(board.settings.window, actor, command.now)
    handler(d, command)
    return d.events


def _post(d: _Decision, cmd: c.PostIdea) -> None:
    board, actor = d.board, d.actor
    if cmd.client_id is not None and (actor.member_id, cmd.client_id) in board.client_ids:
        if board.idea_by_client_id(actor.member_id, cmd.client_id):
            return  # a retry of an idea that is already stored: nothing new happens
        raise Conflict("This idea was posted and has been deleted since.", code="idea_deleted")
    _in_phase(board, actor, Phase.COLLECT)
    board.column(cmd.column_id)
    if cmd.idea_id in board.ideas:
        raise Conflict(f"An idea with id {cmd.idea_id!r} exists already.")
    pending = board.settings.premoderation and not actor.role.moderates
    d.idea(
        "created",
        Idea(
            id=cmd.idea_id,
            column_id=cmd.column_id,
            author_id=actor.member_id,
            text=clean_idea_text(cmd.text),
            created_at=cmd.now,
            updated_at=cmd.now,
            client_id=cmd.client_id,
            title=_title(cmd.title),
            tags=_tags(cmd.tags),
            colour=_colour(cmd.colour),
            position=_end_of_column(board, cmd.column_id),
            status=IdeaStatus.PENDING if pending else IdeaStatus.VISIBLE,
            phase=board.settings.phase,
        ),
    )


def _edit(d: _Decision, cmd: c.EditIdea) -> None:
    board, actor = d.board, d.actor
    idea = _idea_for(board, actor, cmd.idea_id)
    if idea.author_id != actor.member_id:
        raise Forbidden("Only the author can edit an idea.")
    _in_phase(board, actor, Phase.COLLECT, Phase.CLUSTER)
    if all(v is None for v in (cmd.text, cmd.column_id, cmd.title, cmd.tags, cmd.colour)):
        raise Conflict("The edit changes nothing: give a new text, title, tags, colour or column.")
    _no_open_dots(board, {idea.id})
    edited = replace(
        idea,
        text=idea.text if cmd.text is None else clean_idea_text(cmd.text),
        title=idea.title if cmd.title is None else _title(cmd.title),
        tags=idea.tags if cmd.tags is None else _tags(cmd.tags),
        colour=idea.colour if cmd.colour is None else _colour(cmd.colour),
        updated_at=cmd.now,
    )
    if cmd.column_id is not None and cmd.column_id != idea.column_id:
        board.column(cmd.column_id)
        edited = replace(
            edited, column_id=cmd.column_id, cluster_id=None, position=_end_of_column(board, cmd.column_id)
        )
    if replace(edited, updated_at=idea.updated_at) != idea:
        d.idea("edited", edited, idea)


def _delete(d: _Decision, cmd: c.DeleteIdea) -> None:
    board, actor = d.board, d.actor
    idea = _idea_for(board, actor, cmd.idea_id)
    if idea.author_id != actor.member_id and not actor.role.moderates:
        raise Forbidden("Only the author or a facilitator can delete an idea.")
    _in_phase(board, actor, Phase.COLLECT, Phase.CLUSTER)
    _no_open_dots(board, {idea.id})
    d.idea("deleted", replace(idea, updated_at=cmd.now), idea)


def _move(d: _Decision, cmd: c.MoveIdea) -> None:
    board, actor = d.board, d.actor
    idea = _idea_for(board, actor, cmd.idea_id)
    _in_phase(board, actor, Phase.COLLECT, Phase.CLUSTER)
    board.column(cmd.column_id)
    _may_change_field(actor, idea, cmd.column_id)
    order = board.column_order(cmd.column_id, without=idea.id)
    if cmd.after_id is None:
        position = key_between(None, order[0].position if order else None)
    else:
        index = next((n for n, i in enumerate(order) if i.id == cmd.after_id), None)
        if index is None:
            raise NotFound(f"The column has no idea {cmd.after_id!r} to place it after.")
        following = order[index + 1].position if index + 1 < len(order) else None
        position = key_between(order[index].position, following)
    cluster_id = idea.cluster_id
    if cluster_id is not None and board.clusters[cluster_id].column_id != cmd.column_id:
        cluster_id = None
    d.idea("moved", replace(idea, column_id=cmd.column_id, position=position, cluster_id=cluster_id), idea)


def _group(d: _Decision, cmd: c.GroupIdeas) -> None:
    board, actor = d.board, d.actor
    _in_phase(board, actor, Phase.COLLECT, Phase.CLUSTER)
    _not_silent(board, actor)
    if not cmd.idea_ids or len(set(cmd.idea_ids)) != len(cmd.idea_ids):
        raise InvalidInput("Name the ideas to group, each once.")
    if cmd.cluster_id in board.clusters:
        raise Conflict(f"A cluster with id {cmd.cluster_id!r} exists already.")
    ideas = [_idea_for(board, actor, i) for i in cmd.idea_ids]
    if any(i.status is not IdeaStatus.VISIBLE for i in ideas):
        raise Conflict("Only visible ideas can be grouped.", code="not_visible")
    column_id = ideas[0].column_id  # the cluster's field: ideas from other fields join it there
    for idea in ideas:
        _may_change_field(actor, idea, column_id)
    cluster = Cluster(
        id=cmd.cluster_id,
        column_id=column_id,
        heading=_heading(cmd.heading),
        created_by=actor.member_id,
        position=ideas[0].position,
    )
    d.cluster("created", cluster)
    tail: str | None = None  # ideas from other columns follow at the end of this one
    for idea in ideas:
        changed = replace(idea, cluster_id=cluster.id)
        if idea.column_id != column_id:
            tail = key_between(tail, None) if tail else _end_of_column(board, column_id)
            changed = replace(changed, column_id=column_id, position=tail)
        d.idea("clustered", changed, idea)


def _set_cluster(d: _Decision, cmd: c.SetIdeaCluster) -> None:
    board, actor = d.board, d.actor
    _in_phase(board, actor, Phase.COLLECT, Phase.CLUSTER)
    _not_silent(board, actor)
    idea = _idea_for(board, actor, cmd.idea_id)
    if cmd.cluster_id is None:
        if idea.cluster_id is None:
            raise Conflict("The idea is in no cluster.")
        d.idea("clustered", replace(idea, cluster_id=None), idea)
        return
    cluster = board.cluster(cmd.cluster_id)
    if idea.cluster_id == cluster.id:
        raise Conflict("The idea is in that cluster already.")
    if idea.status is not IdeaStatus.VISIBLE:
        raise Conflict("Only visible ideas can be grouped.", code="not_visible")
    _may_change_field(actor, idea, cluster.column_id)
    changed = replace(idea, cluster_id=cluster.id)
    if idea.column_id != cluster.column_id:
        changed = replace(changed, column_id=cluster.column_id, position=_end_of_column(board, cluster.column_id))
    d.idea("clustered", changed, idea)


def _rename_cluster(d: _Decision, cmd: c.RenameCluster) -> None:
    _in_phase(d.board, d.actor, Phase.COLLECT, Phase.CLUSTER)
    _not_silent(d.board, d.actor)
    cluster = d.board.cluster(cmd.cluster_id)
    d.cluster("renamed", replace(cluster, heading=_heading(cmd.heading)))


def _nest_cluster(d: _Decision, cmd: c.NestCluster) -> None:
    board = d.board
    _in_phase(board, d.actor, Phase.COLLECT, Phase.CLUSTER)
    _not_silent(board, d.actor)
    cluster = board.cluster(cmd.cluster_id)
    if cmd.parent_id is not None:
        parent = board.cluster(cmd.parent_id)
        if cluster.id in board.cluster_ancestors(parent.id):
            raise Conflict("A cluster cannot contain itself.", code="cluster_cycle")
        if parent.column_id != cluster.column_id:
            raise Conflict("Clusters can be nested within one column only.", code="wrong_column")
    if cluster.parent_id == cmd.parent_id:
        raise Conflict("The cluster is there already.")
    d.cluster("nested", replace(cluster, parent_id=cmd.parent_id))


def _dissolve_cluster(d: _Decision, cmd: c.DissolveCluster) -> None:
    board = d.board
    _in_phase(board, d.actor, Phase.COLLECT, Phase.CLUSTER)
    _not_silent(board, d.actor)
    cluster = board.cluster(cmd.cluster_id)
    for idea in board.ideas.values():
        if idea.cluster_id == cluster.id:
            d.idea("clustered", replace(idea, cluster_id=cluster.parent_id), idea)
    for child in board.clusters.values():
        if child.parent_id == cluster.id:
            d.cluster("nested", replace(child, parent_id=cluster.parent_id))
    d.cluster("dissolved", cluster)


def _merge(d: _Decision, cmd: c.MergeIdeas) -> None:
    board, actor = d.board, d.actor
    _moderator(actor)
    _writable(board)
    target = board.idea(cmd.target_id)
    if not cmd.idea_ids or cmd.target_id in cmd.idea_ids or len(set(cmd.idea_ids)) != len(cmd.idea_ids):
        raise InvalidInput("Name the duplicates to merge, each once, and not the target itself.")
    sources = [board.idea(i) for i in cmd.idea_ids]
    if board.open_session() is not None:
        raise Conflict("Ideas cannot be merged while a vote is open.", code="vote_open")
    provenance = list(target.merged_from)
    for source in sources:
        provenance += [source.id, *source.merged_from]
        d.idea("merged", replace(source, merged_into=target.id, cluster_id=None, updated_at=cmd.now), source)
    d.idea("merged", replace(target, merged_from=tuple(provenance), updated_at=cmd.now), target)


def _report(d: _Decision, cmd: c.ReportIdea) -> None:
    idea = _idea_for(d.board, d.actor, cmd.idea_id)
    if d.actor.member_id in idea.reporters:
        raise Conflict("You reported this idea already.", code="already_reported")
    d.idea("reported", replace(idea, reporters=idea.reporters | {d.actor.member_id}), idea)


_MODERATION = {
    "hide": ((IdeaStatus.VISIBLE, IdeaStatus.PENDING), IdeaStatus.HIDDEN, "hidden"),
    "restore": ((IdeaStatus.HIDDEN,), IdeaStatus.VISIBLE, "restored"),
    "approve": ((IdeaStatus.PENDING,), IdeaStatus.VISIBLE, "approved"),
}


def _moderate(d: _Decision, cmd: c.ModerateIdea) -> None:
    _moderator(d.actor)
    if cmd.action not in _MODERATION:
        raise InvalidInput(f"Unknown moderation {cmd.action!r}: hide, restore or approve.")
    allowed, status, kind = _MODERATION[cmd.action]
    idea = d.board.idea(cmd.idea_id)
    if idea.status not in allowed:
        raise Conflict(f"The idea is {idea.status.value}; it cannot be {kind} now.")
    # moderation never waits for a vote: a hidden idea drops out of the ranking, its dots stay stored
    d.idea(kind, replace(idea, status=status), idea)


def _add_comment(d: _Decision, cmd: c.AddComment) -> None:
    board, actor = d.board, d.actor
    _writable(board)
    idea = _idea_for(board, actor, cmd.idea_id)
    if idea.status is not IdeaStatus.VISIBLE and not actor.role.moderates:
        raise Conflict("Comments are possible on visible ideas only.", code="not_visible")
    if cmd.comment_id in board.comments:
        raise Conflict(f"A comment with id {cmd.comment_id!r} exists already.")
    text = clean_text(cmd.text, label="The comment", min_len=1, max_len=COMMENT_MAX, multiline=True)
    d.comment("created", Comment(cmd.comment_id, idea.id, actor.member_id, text, cmd.now))


def _delete_comment(d: _Decision, cmd: c.DeleteComment) -> None:
    _writable(d.board)
    comment = d.board.comment(cmd.comment_id)
    if comment.author_id != d.actor.member_id and not d.actor.role.moderates:
        raise Forbidden("Only the author or a facilitator can delete a comment.")
    d.comment("deleted", comment)


def _moderate_comment(d: _Decision, cmd: c.ModerateComment) -> None:
    _moderator(d.actor)
    comment = d.board.comment(cmd.comment_id)
    if comment.hidden == cmd.hidden:
        raise Conflict("The comment is so already.")
    d.comment("hidden" if cmd.hidden else "restored", replace(comment, hidden=cmd.hidden))


def _set_phase(d: _Decision, cmd: c.SetPhase) -> None:
    board = d.board
    _moderator(d.actor)
    if board.settings.locked:
        raise Conflict("Unlock the board first.", code="read_only")
    if cmd.silent is not None and cmd.phase is not Phase.COLLECT:
        raise InvalidInput("Only the collect phase can be silent.")
    session = board.open_session()
    if session is not None and cmd.phase is not Phase.VOTE:
        raise Conflict("Close the open vote first.", code="vote_open")
    if board.settings.silent_now and cmd.phase is not Phase.COLLECT:
        d.settings("revealed", revealed=True)  # leaving a silent collection shows every idea
    silent = board.settings.silent if cmd.silent is None else cmd.silent
    revealed = d.events_settings().revealed if cmd.silent is None else not cmd.silent
    if (
        cmd.phase == board.settings.phase
        and silent == board.settings.silent
        and revealed == d.events_settings().revealed
    ):
        if not d.events:
            raise Conflict(f"The board is in the {cmd.phase.value} phase already.")
        return
    d.settings("phase", phase=cmd.phase, silent=silent, revealed=revealed)


def _reveal_ideas(d: _Decision, cmd: c.RevealIdeas) -> None:
    _moderator(d.actor)
    if not d.board.settings.silent_now:
        raise Conflict("There is nothing to reveal: the collection is not silent.")
    d.settings("revealed", revealed=True)


def _set_lock(d: _Decision, cmd: c.SetLock) -> None:
    _moderator(d.actor)
    if d.board.settings.locked == cmd.locked:
        raise Conflict("The board is so already.")
    d.settings("locked", locked=cmd.locked)


def _set_premoderation(d: _Decision, cmd: c.SetPremoderation) -> None:
    _moderator(d.actor)
    if d.board.settings.premoderation == cmd.on:
        raise Conflict("The board is so already.")
    d.settings("premoderation", premoderation=cmd.on)
    if not cmd.on:  # what waited is approved with the switch
        for idea in d.board.ideas.values():
            if idea.live and idea.status is IdeaStatus.PENDING:
                d.idea("approved", replace(idea, status=IdeaStatus.VISIBLE), idea)


def _set_window(d: _Decision, cmd: c.SetWindow) -> None:
    _moderator(d.actor)
    if (cmd.opens_at is None) != (cmd.closes_at is None):
        raise InvalidInput("Give the window's start and end, or neither.", code="invalid_window")
    window = None
    if cmd.opens_at is not None and cmd.closes_at is not None:
        window = clean_window(cmd.opens_at, cmd.closes_at, cmd.now)
    if window == d.board.settings.window:
        raise Conflict("The board is so already.")
    d.settings("window", window=window)


# -- vote sessions --------------------------------------------------------------------------


def _check_budget_cap(budget: int, cap: int) -> None:
    if not 1 <= budget <= BUDGET_MAX:
        raise InvalidInput(f"Dots per participant must be 1 to {BUDGET_MAX}.", code="invalid_budget")
    if not 1 <= cap <= budget:
        raise InvalidInput("The cap per idea must be 1 to the dots per participant.", code="invalid_cap")


def _open_vote(d: _Decision, cmd: c.OpenVote) -> None:
    board = d.board
    _moderator(d.actor)
    _writable(board)
    # a board open for asynchronous participation collects and votes at once, over its window
    collecting_async = board.settings.window is not None and board.settings.phase is Phase.COLLECT
    if board.settings.phase is not Phase.VOTE and not collecting_async:
        raise Conflict("Switch the board to the vote phase first.", code="wrong_phase")
    if board.open_session() is not None:
        raise Conflict("A vote is open already; close it first.", code="vote_open")
    if cmd.session_id in board.sessions:
        raise Conflict(f"A vote session {cmd.session_id!r} exists already.")
    _check_budget_cap(cmd.budget, cmd.cap)
    if cmd.duration_s is not None and not DURATION_MIN_S <= cmd.duration_s <= DURATION_MAX_S:
        raise InvalidInput(f"The timer must be {DURATION_MIN_S} s to {DURATION_MAX_S // 3600} h.", code="invalid_timer")
    scope = cmd.scope
    if scope.kind is not ScopeKind.BOARD and not scope.ids:
        raise InvalidInput("Name the columns, clusters or ideas to vote on.")
    for item in scope.ids:
        if scope.kind is ScopeKind.COLUMNS:
            board.column(item)
        elif scope.kind is ScopeKind.CLUSTERS:
            board.cluster(item)
        elif scope.kind is ScopeKind.IDEAS:
            board.idea(item)
    session = VoteSession(
        id=cmd.session_id,
        round=len(board.sessions) + 1,
        budget=cmd.budget,
        cap=cmd.cap,
        blind=cmd.blind,
        scope=scope,
        opened_by=d.actor.member_id,
        opened_at=cmd.now,
        ends_at=None if cmd.duration_s is None else cmd.now + timedelta(seconds=cmd.duration_s),
        moderators_vote=cmd.moderators_vote,
    )
    # (an asynchronous board's round may open before its first idea: the ideas come over the window)
    if not collecting_async and not any(votable(board, session, i) for i in board.ideas.values()):
        raise Conflict("There is no visible idea to vote on in that scope.", code="nothing_to_vote")
    d.session("opened", session)


def _open(board: Board, session_id: str) -> VoteSession:
    session = board.session(session_id)
    if session.status is not VoteStatus.OPEN:
        raise Conflict("The vote is closed.", code="vote_closed")
    return session


def _change_vote(d: _Decision, cmd: c.ChangeVote) -> None:
    _moderator(d.actor)
    session = _open(d.board, cmd.session_id)
    budget = session.budget if cmd.budget is None else cmd.budget
    cap = session.cap if cmd.cap is None else cmd.cap
    _check_budget_cap(budget, cap)
    ballots = d.board.ballots.get(session.id) or Ballots()
    if budget < ballots.max_used():
        raise Conflict(
            f"Someone has cast {ballots.max_used()} dots already; the budget cannot be lower.", code="below_cast"
        )
    if cap < ballots.max_on_one_idea():
        raise Conflict(
            f"Someone has {ballots.max_on_one_idea()} dots on one idea already; the cap cannot be lower.",
            code="below_cast",
        )
    if (budget, cap) == (session.budget, session.cap):
        raise Conflict("The vote is so already.")
    d.session("changed", replace(session, budget=budget, cap=cap))


def _extend_vote(d: _Decision, cmd: c.ExtendVote) -> None:
    _moderator(d.actor)
    session = _open(d.board, cmd.session_id)
    if not DURATION_MIN_S <= cmd.seconds <= 3600:
        raise InvalidInput(f"Extend by {DURATION_MIN_S} s to 1 h.", code="invalid_timer")
    start = max(session.ends_at, cmd.now) if session.ends_at else cmd.now
    d.session("extended", replace(session, ends_at=start + timedelta(seconds=cmd.seconds)))


def _close_vote(d: _Decision, cmd: c.CloseVote) -> None:
    if d.actor is not SYSTEM:
        _moderator(d.actor)
    session = _open(d.board, cmd.session_id)
    closed = replace(session, status=VoteStatus.CLOSED)
    d.session("closed", closed)
    if cmd.reveal:
        _reveal(d, closed)


def _reveal_vote(d: _Decision, cmd: c.RevealVote) -> None:
    _moderator(d.actor)
    session = d.board.session(cmd.session_id)
    if session.status is VoteStatus.REVEALED:
        raise Conflict("The results are revealed already.")
    if session.status is VoteStatus.OPEN:
        session = replace(session, status=VoteStatus.CLOSED)
        d.session("closed", session)
    _reveal(d, session)


def _reveal(d: _Decision, session: VoteSession) -> None:
    results = rank(d.board, session, d.board.ballots.get(session.id) or Ballots())
    d.session("revealed", replace(session, status=VoteStatus.REVEALED, results=results))


_HANDLERS: dict[type, Any] = {
    c.PostIdea: _post,
    c.EditIdea: _edit,
    c.DeleteIdea: _delete,
    c.MoveIdea: _move,
    c.GroupIdeas: _group,
    c.SetIdeaCluster: _set_cluster,
    c.RenameCluster: _rename_cluster,
    c.NestCluster: _nest_cluster,
    c.DissolveCluster: _dissolve_cluster,
    c.MergeIdeas: _merge,
    c.ReportIdea: _report,
    c.ModerateIdea: _moderate,
    c.AddComment: _add_comment,
    c.DeleteComment: _delete_comment,
    c.ModerateComment: _moderate_comment,
    c.SetPhase: _set_phase,
    c.RevealIdeas: _reveal_ideas,
    c.SetLock: _set_lock,
    c.SetPremoderation: _set_premoderation,
    c.SetWindow: _set_window,
    c.OpenVote: _open_vote,
    c.ChangeVote: _change_vote,
    c.ExtendVote: _extend_vote,
    c.CloseVote: _close_vote,
    c.RevealVote: _reveal_vote,
}


# -- dots --------------------------------------------------------------------------------


def decide_vote(board: Board, actor: Actor, command: c.VoteCommand) -> DotsChanged:
    """Check a dot against budget, cap, session and idea; return its event or raise."""
    _contributor(actor)
    _writable(board)
    check_window(board.settings.window, actor, command.now)
    session = _open(board, command.session_id)
    if not session.admits(actor.role):
        raise Forbidden("Facilitators and organizers run this vote and place no dots in it.")
    if session.ends_at is not None and command.now >= session.ends_at:
        raise Conflict("The vote's time is up.", code="vote_closed")
    ballots = board.ballots.get(session.id) or Ballots()
    mine = ballots.of(actor.member_id)
    on_idea = mine.get(command.idea_id, 0)
    used = sum(mine.values())
    if isinstance(command, c.CastDot):
        idea = board.ideas.get(command.idea_id)
        if idea is None:
            raise NotFound(f"The board has no idea {command.idea_id!r}.")
        if not votable(board, session, idea):
            raise Conflict(
                "This idea cannot get dots (hidden, merged, waiting or outside the vote).", code="not_votable"
            )
        if used >= session.budget:
            raise Conflict(f"All your {session.budget} dots are placed.", code="budget_exhausted")
        if on_idea >= session.cap:
            raise Conflict(f"At most {session.cap} dots per idea.", code="cap_reached")
        return DotsChanged(actor, session.id, command.idea_id, 1, on_idea + 1, used + 1)
    if on_idea == 0:
        raise Conflict("You have no dot on this idea.", code="no_dot")
    return DotsChanged(actor, session.id, command.idea_id, -1, on_idea - 1, used - 1)


def apply_vote(board: Board, event: DotsChanged) -> None:
    board.ballots.setdefault(event.session_id, Ballots()).set(event.actor.member_id, event.idea_id, event.count)


# -- apply --------------------------------------------------------------------------------


def apply(board: Board, event: BoardEvent) -> None:
    """Change ``board`` by one event that ``decide`` produced (and the store committed)."""
    if event.seq != board.seq + 1:
        raise Conflict(f"Event {event.seq} does not follow the board's sequence {board.seq}.")
    if isinstance(event, IdeaChanged):
        idea = event.idea
        if event.kind == "deleted":
            board.ideas.pop(idea.id, None)
        else:
            board.ideas[idea.id] = idea
            if event.kind == "created" and idea.client_id is not None:
                board.client_ids[(idea.author_id, idea.client_id)] = idea.id
    elif isinstance(event, ClusterChanged):
        if event.kind == "dissolved":
            board.clusters.pop(event.cluster.id, None)
        else:
            board.clusters[event.cluster.id] = event.cluster
    elif isinstance(event, CommentChanged):
        if event.kind == "deleted":
            board.comments.pop(event.comment.id, None)
        else:
            board.comments[event.comment.id] = event.comment
    elif isinstance(event, SettingsChanged):
        board.settings = event.settings
    elif isinstance(event, SessionChanged):
        board.sessions[event.session.id] = event.session
        board.ballots.setdefault(event.session.id, Ballots())
    board.seq = event.seq
