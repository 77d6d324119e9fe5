"""``coredge serve``: a catalogue of runs, an HTTP API and a web dashboard over the same engine.

- `coredge.service.catalogue`: the store (one folder per run, its job record written atomically)
  and the DuckDB catalogue over it (``coredge runs list|show|rm`` reads the same store);
- `coredge.service.jobs`: runs in a bounded pool of worker processes, with a queue limit,
  progress, cancelling, and recovery after a restart;
- `coredge.service.app`: the FastAPI application (``create_app``): the JSON API, bearer tokens,
  body-size limit; `coredge.service.dashboard`: the HTML pages at ``/``.

The service sits at the top of the layers (beside the CLI): nothing below imports it.
"""

from __future__ import annotations
