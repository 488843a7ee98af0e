"""Live views: thin ipywidgets over the service modules, each with a text and HTML form.

One module per thing shown; import the one you need, e.g.
``from dockerlab.views.build import show_build``. Views make no Docker calls of their own:
they read through :mod:`dockerlab.containers`, :mod:`dockerlab.layers`, :mod:`dockerlab.kernel`,
:mod:`dockerlab.compose` and :mod:`dockerlab.build`. Nothing is imported here, so importing one
view does not load the others.
"""
