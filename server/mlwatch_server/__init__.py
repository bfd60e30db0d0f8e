"""mlwatch-server: the mlwatch inference core over HTTP, for HA OS and homes with many cameras."""

__version__ = "0.1.0"
