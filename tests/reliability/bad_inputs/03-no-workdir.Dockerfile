FROM python:3.13-slim
COPY greet.py .
CMD ["python", "greet.py"]
