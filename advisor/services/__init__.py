"""The services: one module per thing a user does (importing, knee, rehab, activities, sync, summary, athletes,
team, doctor), plain values in and out, one transaction each. Entry points (CLI, web, daemon) call them through a
`bootstrap.Runtime`; they call the adapters (store, ingest, garmin, mail) and the pure domain below them.
"""
