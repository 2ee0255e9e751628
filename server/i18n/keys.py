"""Message keys the code builds at run time, named here so that extraction finds them.

``t(`conn.${state}`)`` in the browser or ``_("role." ~ role.value)`` in a template cannot be
read from the code; ``scripts/i18n`` extracts these ``N_()`` calls into the catalogs like any
other (``count=...`` marks a plural message). ``tests/test_i18n.py`` checks each family against
the values it is built from (roles, colours, phases, error codes).
"""

from __future__ import annotations


def N_(key: str, count: object = None) -> str:
    """Mark ``key`` for extraction; ``count=...`` when it is shown with a number."""
    return key


RUNTIME_KEYS = (
    # roles, on pages and in the client: _("role." ~ role), t(`role.${member.role}`) (rooms.members.Role)
    N_("role.organizer"),
    N_("role.facilitator"),
    N_("role.participant"),
    N_("role.observer"),
    N_("client.role.organizer"),
    N_("client.role.facilitator"),
    N_("client.role.participant"),
    N_("client.role.observer"),
    # avatar colours on the join page: _("colour." ~ name) (rooms.members.AVATAR_COLOURS)
    N_("colour.blue"),
    N_("colour.green"),
    N_("colour.red"),
    N_("colour.purple"),
    N_("colour.teal"),
    N_("colour.orange"),
    N_("colour.magenta"),
    N_("colour.slate"),
    # HTTP errors on the error page (server.web.http)
    N_("error.not_found"),
    N_("error.forbidden"),
    N_("error.invalid"),
    # connection states: t(`conn.${state}`) (static/js/connection.js)
    N_("client.conn.connecting"),
    N_("client.conn.online"),
    N_("client.conn.offline"),
    N_("client.conn.refused"),
    # phases: t(`phase_hint.${phase}`) (boards.model.Phase)
    N_("client.phase_hint.collect"),
    N_("client.phase_hint.cluster"),
    N_("client.phase_hint.discuss"),
    N_("client.phase_hint.vote"),
    N_("client.phase_hint.closed"),
    # idea states shown as a badge: t(`board.status.${status}`)
    N_("client.board.status.pending"),
    N_("client.board.status.hidden"),
    # moderation announced: t(`announce.moderated.${action}`)
    N_("client.announce.moderated.approve"),
    N_("client.announce.moderated.hide"),
    N_("client.announce.moderated.restore"),
    # the moderation queues: t(`console.queue.${name}`, { count })
    N_("client.console.queue.pending", count=...),
    N_("client.console.queue.reported", count=...),
    N_("client.console.queue.hidden", count=...),
    # what a vote round is about: t(`vote.scope.${kind}`)
    N_("client.vote.scope.columns"),
    N_("client.vote.scope.clusters"),
    N_("client.vote.scope.ideas"),
    # error codes: errorMessage() reads t(`error.${code}`) (server.protocol.ERROR_CODES and the join API's and the client's own)
    N_("client.error.agenda_finished"),
    N_("client.error.already_closing"),
    N_("client.error.already_open"),
    N_("client.error.already_reported"),
    N_("client.error.already_upvoted"),
    N_("client.error.below_cast"),
    N_("client.error.budget_exhausted"),
    N_("client.error.cannot_remove_moderator"),
    N_("client.error.cannot_remove_self"),
    N_("client.error.cannot_silence_moderator"),
    N_("client.error.cap_reached"),
    N_("client.error.cluster_cycle"),
    N_("client.error.conflict"),
    N_("client.error.control_characters"),
    N_("client.error.duplicate_field"),
    N_("client.error.duplicate_host"),
    N_("client.error.duplicate_room"),
    N_("client.error.forbidden"),
    N_("client.error.foreign_origin"),
    N_("client.error.idea_deleted"),
    N_("client.error.internal"),
    N_("client.error.invalid_budget"),
    N_("client.error.invalid_cap"),
    N_("client.error.invalid_capacity"),
    N_("client.error.invalid_duration"),
    N_("client.error.invalid_input"),
    N_("client.error.invalid_kind"),
    N_("client.error.invalid_link"),
    N_("client.error.invalid_payload"),
    N_("client.error.invalid_position"),
    N_("client.error.invalid_timer"),
    N_("client.error.no_dot"),
    N_("client.error.no_fields"),
    N_("client.error.no_hands"),
    N_("client.error.no_next_step"),
    N_("client.error.no_previous_step"),
    N_("client.error.no_rooms"),
    N_("client.error.no_such_room"),
    N_("client.error.not_found"),
    N_("client.error.not_open"),
    N_("client.error.not_upvoted"),
    N_("client.error.not_visible"),
    N_("client.error.not_votable"),
    N_("client.error.nothing_to_vote"),
    N_("client.error.offline"),
    N_("client.error.pseudonym_taken"),
    N_("client.error.question_hidden"),
    N_("client.error.queue_moved"),
    N_("client.error.rate_limited"),
    N_("client.error.read_only"),
    N_("client.error.room_full"),
    N_("client.error.round_closed"),
    N_("client.error.silenced"),
    N_("client.error.stale_agenda"),
    N_("client.error.stale_board"),
    N_("client.error.stale_round"),
    N_("client.error.step_is_current"),
    N_("client.error.step_moved"),
    N_("client.error.storage"),
    N_("client.error.text_too_long"),
    N_("client.error.text_too_short"),
    N_("client.error.timer_idle"),
    N_("client.error.timer_not_paused"),
    N_("client.error.timer_not_running"),
    N_("client.error.timer_running"),
    N_("client.error.too_many_fields"),
    N_("client.error.too_many_questions"),
    N_("client.error.too_many_rooms"),
    N_("client.error.too_many_steps"),
    N_("client.error.too_many_tags"),
    N_("client.error.unauthenticated"),
    N_("client.error.unknown_event"),
    N_("client.error.vote_closed"),
    N_("client.error.vote_open"),
    N_("client.error.wrong_column"),
    N_("client.error.wrong_mode"),
    N_("client.error.wrong_phase"),
)
