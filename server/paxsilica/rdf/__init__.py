"""Stores of RDF: the embedded pyoxigraph store, on-disk stores, a remote SPARQL server."""
