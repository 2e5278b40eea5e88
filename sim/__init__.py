"""lonesim: an agent-based model of loneliness, social connection and health (see README.md and docs/architecture.md)."""
