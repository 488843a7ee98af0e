FROM ubuntu:24.04
WORKDIR /app
COPY greet.py .
CMD ["python", "greet.py"]
