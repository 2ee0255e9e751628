"""The transport: websockets, the Socket.IO endpoint over them, its JSON, the admission of
connections, and the fan-out that writes one frame to many connections."""
