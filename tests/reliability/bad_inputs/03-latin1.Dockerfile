FROM python:3.13-slim
WORKDIR /app
# café written in Latin-1
COPY greet.py .
CMD ["python", "greet.py"]
