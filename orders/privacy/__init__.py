"""Personal data on request: a customer's export (articles 15 and 20 GDPR) and erasure (article 17)."""
