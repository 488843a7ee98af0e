RUN echo "this line is repeated until the file is far too big for a Dockerfile"
