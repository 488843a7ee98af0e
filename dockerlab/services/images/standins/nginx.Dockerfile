# Offline stand-in for nginx:stable: Debian trixie's nginx, in the foreground, logging to the
# container's output as the official image does.
FROM debian:trixie-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log \
 && mkdir -p /usr/share/nginx/html \
 && cp /var/www/html/index.nginx-debian.html /usr/share/nginx/html/index.html \
 && sed -i 's#root /var/www/html;#root /usr/share/nginx/html;#' /etc/nginx/sites-enabled/default
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
