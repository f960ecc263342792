"""Running Vitrine as a system service: what the daemon tells systemd (notify, lifecycle), the
unit files shipped in units/, and how `vitrine install-service` fills them in (units,
install)."""
