# A learner's JupyterLab for JupyterHub: the course, dockerlab, the docker CLI, jupyterhub-singleuser.
# Built offline: the build context holds wheels/ (pip download on a networked machine, with course.lock and
# hub.lock: the project's requirements.lock and deploy/jupyterhub/requirements.lock, which pin every version
# installed here), docker (the CLI binary) and notebooks/; scripts/hub_smoke.sh assembles it. No network is
# needed in the build. --ignore-installed: the pins win over what the base image's Python carries (the offline
# stand-in of python:3.13-slim is Debian's python3.13, whose packaging pip cannot upgrade in place).
FROM python:3.13-slim
RUN useradd --create-home --uid 1000 learner
COPY wheels /tmp/wheels
RUN python -m pip install --no-index --find-links /tmp/wheels --no-cache-dir --ignore-installed \
        --constraint /tmp/wheels/course.lock --constraint /tmp/wheels/hub.lock jupyterhub jupyterlab dockerlab \
    && rm -rf /tmp/wheels
COPY docker /usr/local/bin/docker
COPY --chown=learner:learner notebooks /home/learner/notebooks
USER learner
WORKDIR /home/learner/notebooks
CMD ["jupyterhub-singleuser"]
