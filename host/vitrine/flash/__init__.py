"""`vitrine flash`: deploy a role's firmware to MicroPython boards with mpremote."""
