# Vitrine firmware package: what lands under /lib on a board, and what the host's simulator
# runs unchanged under CPython.
__version__ = "0.1.0"
