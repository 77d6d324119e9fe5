"""Root conftest: loading it puts ``tests/`` on ``sys.path`` (pytest's prepend import mode), so
every test folder can import the shared helpers in `coredge_testing`."""
