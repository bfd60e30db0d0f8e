"""Constants for mlwatch."""

from typing import Final

DOMAIN: Final = "mlwatch"
CONF_CAMERA: Final = "camera"
