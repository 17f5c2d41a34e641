"""Serve mode: the simulators' own ``handle`` answering over real sockets (moto's ``moto_server``).

``asgi`` turns any ``httpx.Request -> httpx.Response`` callable into an ASGI app, ``control`` adds
the ``/_sim/...`` control plane in front of a simulator, ``servers`` runs one uvicorn server per
app on loopback, and ``transport`` lets an unchanged httpx client reach them by their real hostnames.
"""
from simulators.serve.asgi import asgi_app
from simulators.serve.control import CONTROL_PREFIX, ControlPlane
from simulators.serve.servers import LoopbackServer, PortInUse, ServerSet
from simulators.serve.transport import HostMappingTransport

__all__ = ["CONTROL_PREFIX", "ControlPlane", "HostMappingTransport", "LoopbackServer", "PortInUse",
           "ServerSet", "asgi_app"]
