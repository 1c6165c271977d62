# The image the example's docker-compose.yml (generated/docker-compose.yml)
# builds for its Celery and Temporal workers: the project in /app, with the
# runtime dependencies of the generated code. This file is ours, not lichc's.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY compiler compiler
RUN pip install --no-cache-dir '.[stack]'
COPY examples examples
COPY generated generated
COPY jobs.yaml .
