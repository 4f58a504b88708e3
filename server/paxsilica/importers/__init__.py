"""Importers: map the upstream datasets in instances/upstream/ to the generated Turtle graphs.

One module per source (``eto``, ``usgs``, ``countries``); ``build.build_data`` runs them and
is what ``paxsilica build-data`` calls. The generated files live in instances/generated/ and
are committed; a test regenerates them and checks they are isomorphic to what is committed.
"""
