"""Looking up what a client names by id within its event: members (and how they are shown) and rooms."""

from __future__ import annotations

from collections.abc import Iterable

from boards.errors import NotFound
from rooms.members import Member
from server import protocol as p
from server.live.state import LiveState
from server.store.idea_store import Room


async def member_of(live: LiveState, event_id: str, member_id: str) -> Member:
    """A member of the event; NotFound for an unknown id or a member of another event."""
    try:
        return await live.member(event_id, member_id)
    except KeyError:
        raise NotFound("No such member in this event.") from None


async def members_of(live: LiveState, event_id: str, member_ids: Iterable[str]) -> dict[str, Member]:
    """The members of the event with these ids (the cache is loaded again once when one is missing)."""
    wanted = set(member_ids)
    cache = live.members.get(event_id)
    if cache is None or not wanted <= cache.keys():
        cache = live.members[event_id] = await live.store.members_of(event_id)
    return {m: cache[m] for m in wanted if m in cache}


def author(member: Member) -> p.AuthorOut:
    """How a member is named on the wire: an author, who acted, who sent it."""
    return p.AuthorOut(id=member.id, pseudonym=member.pseudonym, colour=member.colour)


async def room_of(live: LiveState, event_id: str, room_id: str | None) -> Room:
    """A room of the event: ``room_id``, or the plenary for None; NotFound for a room of another event."""
    plenary = await live.plenary(event_id)
    if room_id is None or room_id == plenary.id:
        return plenary
    room = live.room(room_id)
    if room is None:
        try:
            room = await live.store.room(room_id)
        except NotFound:
            raise NotFound("No such room in this event.") from None
        if room.event_id == event_id:
            live.know_room(room)
    if room.event_id != event_id:
        raise NotFound("No such room in this event.")
    return room
