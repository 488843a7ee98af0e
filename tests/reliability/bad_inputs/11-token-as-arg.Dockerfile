FROM busybox:1.37
ARG API_TOKEN
RUN echo "fetched with a ${#API_TOKEN}-character token" > /fetched.txt
