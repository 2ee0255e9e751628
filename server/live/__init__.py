"""The live core: who is connected and in which room, the serializers that change boards,
votes and rooms one command at a time, the gateway that dispatches every event, and the
handlers by area (``server.live.handlers``)."""
