WORKDIR /app
COPY greet.py .
CMD ["python", "greet.py"]
