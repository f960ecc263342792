"""Virtual boards: the real firmware under CPython, behind pseudo-terminals, with faults."""
