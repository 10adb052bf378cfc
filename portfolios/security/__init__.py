"""Cross-cutting protections: headers, log redaction, a cache that survives Redis outages,
API throttles, login throttling keys and the audit trail's signal receivers."""
