"""What the core knows of a model's tensor: plain Python, so it is readable without numpy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """What the core needs to know about one input or output tensor."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    scale: float
    zero_point: int

    @property
    def quantized(self) -> bool:
        """Whether values are integers standing for `scale * (q - zero_point)`."""
        # Kinds i and u are what np.issubdtype(dtype, np.integer) accepts.
        return self.scale != 0.0 and self.dtype.kind in "iu"

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> TensorInfo:
        """Build from an entry of `get_input_details()` / `get_output_details()`."""
        # Details come from an interpreter, which cannot run without numpy.
        import numpy as np

        scale, zero_point = details.get("quantization", (0.0, 0))
        return cls(
            index=int(details["index"]),
            name=str(details["name"]),
            shape=tuple(int(d) for d in details["shape"]),
            dtype=np.dtype(details["dtype"]),
            scale=float(scale),
            zero_point=int(zero_point),
        )
