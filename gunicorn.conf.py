"""gunicorn reads this file from the working directory: access-log lines without secrets."""

logger_class = "portfolios.security.logs.RedactingGunicornLogger"
