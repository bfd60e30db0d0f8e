"""The bundled default model; also packaged as `mlwatch_server.model` for the server."""
