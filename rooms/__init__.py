"""Rooms of an event: who is a member, who is present, breakout rounds and who goes to which breakout room.

Pure domain, no IO: ``members`` and ``presence``; ``breakouts`` holds a breakout round as an
aggregate (decide/apply); ``assignment`` the algorithms that fill its rooms (balanced, by topic
choice, earlier groups again, World Café rotation, checked by hand). ``space``: the 2D map people walk
on (collision, paths, interest cells, zone conversations and bubbles).
"""
