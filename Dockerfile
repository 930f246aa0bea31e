# The application image used by docker-compose.yml (migrate, web, worker and beat).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
# An unprivileged user owns only what it must write: var/ (static files, beat's schedule).
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app app
COPY . .
# Static files are built into the image (whitenoise serves them); settings need no services here.
RUN ENV_FILE= DEBUG=false SECRET_KEY=image-build-only python manage.py collectstatic --noinput -v 0 \
    && chown -R app:app var
USER app
EXPOSE 8000
