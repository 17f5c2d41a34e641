"""Small neutral building blocks shared by the connector, the simulators and the harness.

Nothing here imports any other package of this project, so the dependency rules hold:
the connector never imports simulators or harness, simulators never import the connector.
"""
