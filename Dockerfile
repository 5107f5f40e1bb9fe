# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
# WeasyPrint (the review pack's PDF) needs Pango and a font from Debian.
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input -v 0 \
    && useradd --system --uid 1000 app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
# Meant to run behind the proxy of deploy/nginx/ (docker-compose.yml), never facing clients itself.
CMD ["gunicorn", "--config", "deploy/gunicorn.conf.py", "partnerhealth.wsgi:application"]
