"""Rooms of an event: who is a member, who is present (pure domain, no IO)."""
