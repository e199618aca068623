"""An explicit Docker provider whose TLS material comes from secret config, as ``components/program.py`` declares
one per host of a multi-host stack (nothing connects: no resource uses it)."""

import pulumi
import pulumi_docker as docker

config = pulumi.Config()
docker.Provider(
    "host",
    host="tcp://192.0.2.10:2376",
    ca_material=config.require_secret("ca"),
    cert_material=config.require_secret("cert"),
    key_material=config.require_secret("key"),
)
