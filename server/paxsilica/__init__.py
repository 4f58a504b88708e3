"""Pax Silica Linked Data: the knowledge graph of the Pax Silica technology bloc and its server."""

__version__ = "0.1.0"
