FROM python:3.13-slim
WORKDIR /app
RUN useradd --create-home app
COPY . .
CMD ["python", "app.py"]
