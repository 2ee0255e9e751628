"""The handlers of the client→server events, one module per area; ``registry`` holds them all.

Each handler is thin: build the domain command, run it through the aggregate's serializer,
answer with the acknowledgement's model. The gateway validates, authorises and rate-limits
before a handler runs.
"""

# registered in the order the protocol documents them: the room, its boards, their votes
from server.live.handlers import rooms  # isort: split

from server.live.handlers import boards  # isort: split

from server.live.handlers import votes  # isort: split

from server.live.handlers import breakouts  # isort: split

from server.live.handlers.common import SYNC_LIMIT, registry

__all__ = ["SYNC_LIMIT", "boards", "breakouts", "registry", "rooms", "votes"]
