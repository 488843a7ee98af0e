FROM python:3.13-slim
WORKDIR /app
ADD greet.py .
CMD ["python", "greet.py"]
