"""SPARQL queries: the guard that reads them before they run, running them, and their limits."""
