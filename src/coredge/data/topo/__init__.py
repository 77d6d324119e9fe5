"""Vendored TopoJSON outlines (data only; see README.md here for provenance and licences)."""
