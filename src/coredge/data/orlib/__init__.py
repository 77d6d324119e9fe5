"""OR-Library instances shipped for `coredge validation` (see README.md)."""
