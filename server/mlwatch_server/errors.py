"""The error every handler raises: it becomes a JSON answer in the API's shape."""

from __future__ import annotations


class ApiError(Exception):
    """An error response: HTTP status, a stable code and a message for people."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        """Describe the response."""
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers
