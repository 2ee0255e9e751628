"""Idea boards: the rules for ideas on a live board (pure domain, no IO)."""
