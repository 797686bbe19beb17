"""Mail delivery: MIME building and SMTP transport (the outbox itself is a use case, `advisor.services.outbox`)."""
