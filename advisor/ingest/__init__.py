"""Ingest: bytes → prepared activities, with no database — finding payloads in files, folders and archives
(`files`, `strava`), decoding FIT, GPX and TCX (`decode`), measuring them (`measuring`), and the worker processes
that do it in isolation (`isolation`, `pool_worker`). Storing what comes out is a service's (`services.storing`).
"""
