"""werkstatt's server: the aiohttp app, the Socket.IO gateway, the idea store, pages."""

__version__ = "0.1.0"
