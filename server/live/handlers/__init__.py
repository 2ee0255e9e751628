"""The handlers of the client→server events, one module per area; ``registry`` holds them all.

Each handler is thin: build the domain command, run it through the aggregate's serializer,
answer with the acknowledgement's model. The gateway validates, authorises and rate-limits
before a handler runs.
"""

# registered in the order the protocol documents them: the room, its boards, their votes; then facilitation:
# the clock, the state after a reconnect, broadcasts, the spotlight and removals, then timers, the agenda,
# hands, chat and questions; then the space
from server.live.handlers import rooms  # isort: split

from server.live.handlers import boards  # isort: split

from server.live.handlers import votes  # isort: split

from server.live.handlers import breakouts  # isort: split

from server.live.handlers import facilitation  # isort: split

from server.live.handlers import timers  # isort: split

from server.live.handlers import agenda  # isort: split

from server.live.handlers import hands  # isort: split

from server.live.handlers import chat  # isort: split

from server.live.handlers import questions  # isort: split

from server.live.handlers import space  # isort: split

from server.live.handlers.common import SYNC_LIMIT, registry

__all__ = [
    "SYNC_LIMIT",
    "agenda",
    "boards",
    "breakouts",
    "chat",
    "facilitation",
    "hands",
    "questions",
    "registry",
    "rooms",
    "space",
    "timers",
    "votes",
]
