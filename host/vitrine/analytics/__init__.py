"""Store analytics: observations of what happens in front of the mirror and on it, kept in
analytics.db, worked into the store's funnel metrics, shown on the manager's dashboard and
forwarded to a fleet's collector over MQTT. docs/metrics.md is the reference."""
