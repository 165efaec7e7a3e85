"""Config files shipped with zoo; load them by name with ``zoo.compose.load_config('<name>')``.

Each file is a plain Python module defining ``model_cfg`` and optionally ``data``, ``optimizer`` and ``schedule``.
The files are read with ``importlib`` from this folder, so they need no import of this package.
"""
