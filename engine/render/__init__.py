"""Human-facing renderings of a process spec: graphs (Mermaid, DOT) and the handbook (Markdown, HTML)."""
