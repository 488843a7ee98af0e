services:
  web:
    build: .
    ports: ["8000:8000"]
