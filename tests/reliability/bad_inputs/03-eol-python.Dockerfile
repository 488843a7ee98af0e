FROM python:3.9-slim
WORKDIR /app
COPY greet.py .
CMD ["python", "greet.py"]
