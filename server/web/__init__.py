"""The web pages and HTTP endpoints: joining, the organizer's pages, the projector view, the
privacy page, and the plumbing they share (host check, security headers, CSRF, language)."""
