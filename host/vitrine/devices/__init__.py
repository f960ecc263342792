"""Input and output devices the daemon drives from board messages (touch frame, ...)."""
