"""BLE beacons and phones: advertisements, loyalty tokens, the Beacons device."""
