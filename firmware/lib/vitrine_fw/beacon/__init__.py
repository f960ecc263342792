# The beacon subsystem (the beacon role): see adverts.py for the advertisements it sends.
