# Production image: gunicorn + whitenoise for the web, the same image for worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.base

WORKDIR /app
RUN useradd --create-home --uid 1000 hearth
# pg_dump / pg_restore for `manage.py backup`, `manage.py restore` and the nightly backup.
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
RUN pip install --upgrade pip && pip install .
COPY . .
# Bytecode compiled once here: PYTHONDONTWRITEBYTECODE stops Python from caching it, so
# otherwise every process (each manage.py command, each worker) compiles the app again.
RUN python -m compileall -q alerts config income portfolios reporting
# collectstatic needs a key and hosts only to import settings; real ones come at run time.
RUN SECRET_KEY=build-only-0123456789abcdef0123456789abcdef ALLOWED_HOSTS=build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/backups && chown -R hearth /app/var

USER hearth
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
