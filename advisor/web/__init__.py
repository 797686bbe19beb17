"""`advisor serve`: the week at a glance and a pain log for the phone, as a small local web application.

An entrypoint beside `advisor.cli`: `create_app` (advisor.web.app) builds the ASGI app whose routes call the same
use cases as the CLI and the same renderers (units, the chart); `advisor.web.server` runs it with Uvicorn, in the
foreground (`advisor serve`) or in a thread of the daemon (`serve.enabled`).
"""
