"""Mail delivery: MIME building and SMTP transport (the outbox itself is a use case, `advisor.usecases.outbox`)."""
