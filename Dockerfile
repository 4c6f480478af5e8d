# The Lossboard image: the dashboard (gunicorn dashboard.wsgi:server) and the trainer
# (lossboard train), for docker-compose.yml. Pinned by constraints.txt, run as a non-root user.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml constraints.txt README.md ./
COPY analysis ./analysis
COPY tracking ./tracking
COPY training ./training
COPY dashboard ./dashboard
RUN pip install --constraint constraints.txt . \
    && useradd --create-home --uid 10001 lossboard
USER lossboard
WORKDIR /home/lossboard
EXPOSE 8050
# the same command as docker-compose.yml's dashboard service (tests/unit/test_compose_file.py)
CMD ["gunicorn", "--config", "python:dashboard.gunicorn_config", "--workers", "2", "--threads", "4", "--timeout", "60", "--bind", "0.0.0.0:8050", "--access-logfile", "-", "--access-logformat", "%(h)s pid=%(p)s \"%(r)s\" %(s)s %(b)s %(M)sms", "dashboard.wsgi:server"]
