"""Adapters that turn reports into something to read: text (Rich), HTML and text mail (Jinja2), the chart."""
