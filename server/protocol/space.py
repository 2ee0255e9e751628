"""The space's events: payloads, acknowledgements and server→client shapes (rules: ``rooms/space/``;
docs/space.md explains them).

``space.move`` is the bulk of the traffic: it is sent without an acknowledgement, and the moves a client
receives travel as short lists (``[member_id, x, y, dir, moving]``), not as objects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from server.protocol.common import AuthorOut, Id, OkAck, Out, Payload, Text

# pixels from the map's top-left corner: a map is at most 200 tiles of 32 px a side
MAX_PX = 200 * 32
Px = Annotated[int, Field(ge=0, lt=MAX_PX)]
Dir = Literal["up", "down", "left", "right"]
Status = Literal["available", "away", "hand"]
ZoneId = Annotated[str, StringConstraints(pattern=r"^z[0-9]{1,10}$")]
ConversationKindName = Literal["bubble", "table", "private", "stage"]
ZoneKindName = Literal["table", "stage", "board", "quiet", "private", "spawn", "wall"]

SDP_MAX = 20_000

# [member_id, x, y, dir, moving]
MoveItem = tuple[str, int, int, Dir, bool]


# -- client → server --------------------------------------------------------------------------


class SpaceEnter(Payload):
    """No fields: the space of the room the connection is in."""


class SpaceMove(Payload):
    x: Px = Field(description="Pixels from the map's left edge.")
    y: Px = Field(description="Pixels from the map's top edge.")
    dir: Dir = Field(description="Where the avatar faces.")
    moving: bool = Field(description="Whether it is walking (false when it stopped).")


class SpaceGoto(Payload):
    member_id: Id | None = Field(None, description="Go next to this member of your room …")
    zone_id: ZoneId | None = Field(None, description="… or into this zone of the map (one of the two).")

    @model_validator(mode="after")
    def _one_target(self) -> SpaceGoto:
        if (self.member_id is None) == (self.zone_id is None):
            raise ValueError("give either member_id or zone_id")
        return self


class SpaceFollow(Payload):
    member_id: Id | None = Field(description="Follow this member of your room; null stops following.")


class SpaceLocate(Payload):
    member_id: Id = Field(description="A member of your room's space, wherever they stand.")


class SpaceStatus(Payload):
    status: Status


class BubbleLock(Payload):
    locked: bool = Field(description="True: nobody new joins your bubble; false opens it again.")


class BubbleChat(Payload):
    text: Text = Field(description="1–500 characters after trimming; line breaks allowed, no other control characters.")


class IceCandidate(Payload):
    """An ICE candidate as the browser's ``RTCIceCandidate.toJSON()`` gives it."""

    candidate: Annotated[str, StringConstraints(max_length=1000)]
    sdpMid: Annotated[str, StringConstraints(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, Field(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, StringConstraints(max_length=256)] | None = None


class RtcData(Payload):
    type: Literal["offer", "answer", "candidate", "bye"]
    sdp: Annotated[str, StringConstraints(max_length=SDP_MAX)] | None = Field(
        None, description="The session description of an offer or answer (at most 20,000 characters)."
    )
    candidate: IceCandidate | None = Field(None, description="The ICE candidate of a `candidate` message.")


class RtcSignal(Payload):
    to: Id = Field(description="A member of your conversation (or, on a stage, of your room).")
    data: RtcData


# -- server → client ------------------------------------------------------------------------


class PositionOut(Out):
    x: int
    y: int
    dir: Dir
    moving: bool


class AvatarOut(Out):
    id: str = Field(description="The member's id (their pseudonym and colour are in `presence`).")
    x: int
    y: int
    dir: Dir
    moving: bool
    status: Status


class ConversationOut(Out):
    id: str = Field(description="Stable while the conversation lasts (`c1`, `c2`, …).")
    kind: ConversationKindName
    zone_id: str | None = Field(description="The table, private zone or stage it belongs to; null for a bubble.")
    members: list[str] = Field(description="Member ids, sorted.")
    locked: bool = Field(description="A locked bubble takes nobody new.")


class ZoneOut(Out):
    id: str
    kind: ZoneKindName
    name: str
    capacity: int | None
    members: list[str] = Field(description="Who is in its conversation now (tables, private zones and stages).")


class ZoneMembers(Out):
    id: str
    members: list[str]


class IceServerOut(Out):
    urls: list[str]
    username: str | None = None
    credential: str | None = None


class SpaceSettings(Out):
    ice_servers: list[IceServerOut] = Field(
        description="STUN/TURN servers for the browser's `RTCPeerConnection` (`iceServers`); empty: direct "
        "connections only."
    )


class SpaceEnterAck(OkAck):
    room_id: str
    map_url: str = Field(description="The map as the browser draws it (Tiled JSON, same origin).")
    me: AvatarOut
    avatars: list[AvatarOut] = Field(description="Everyone in the room's space (you too), with their status.")
    zones: list[ZoneOut] = Field(description="The map's tables, private zones and stages, with who is in each.")
    conversation: ConversationOut | None = Field(description="Your conversation, or null.")
    following: str | None = Field(description="The member you follow, or null.")


class SpaceGotoAck(OkAck):
    position: PositionOut = Field(description="Where the server placed you.")


class SpaceFollowAck(OkAck):
    following: str | None
    position: PositionOut = Field(description="Where you are now (next to whom you follow).")


class SpaceLocateAck(OkAck):
    member_id: str
    position: PositionOut = Field(description="Where they stand now.")


class SpaceStatusAck(OkAck):
    status: Status


class ConversationAck(OkAck):
    conversation: ConversationOut | None


class SpaceMoves(Out):
    moves: list[MoveItem] = Field(description="`[member_id, x, y, dir, moving]` for each who moved near you.")


class SpaceGone(Out):
    members: list[str] = Field(description="Ids of members no longer near you, or no longer in the room's space.")


class SpaceZones(Out):
    zones: list[ZoneMembers] = Field(description="Every table, private zone and stage of the map, with who is in it.")


class SpaceStatusChanged(Out):
    member_id: str
    status: Status


class SpaceUnfollowed(Out):
    member_id: str = Field(description="Whom you followed.")
    reason: Literal["left", "walked"] = Field(
        description="`left`: they left the room's space (and the room); `walked`: you walked on your own (in another tab)."
    )


class ConversationChanged(Out):
    conversation: ConversationOut | None = Field(description="Your conversation now, or null when you are in none.")


class BubbleMessage(Out):
    conversation_id: str
    author: AuthorOut
    text: str = Field(description="Shown as text, never as HTML; not stored.")


class RtcRelayed(Out):
    from_: str = Field(alias="from", description="The member who sent it.")
    data: dict[str, Any] = Field(
        description="What they sent as `data` of `rtc.signal` (validated: `type`, and `sdp` or `candidate`), as "
        "they sent it."
    )
