"""The data files the package ships, as symlinks to their sources elsewhere in the checkout.

``kibana.ndjson`` -> deploy/kibana/diplomatic-desk.ndjson, ``pom.xml`` -> deploy/local/pom.xml,
``sample-feeds`` -> data/sample-feeds: one copy of each (no drift), which the wheel build copies
in as package data. Code reads them through :mod:`diplowire.resources`, never by path.
"""
